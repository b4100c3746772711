import { afterEach, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import { roomKeys } from '../src/broker/redis-keys.ts';
import type { RoomEvent } from '../src/broker/broker.ts';
import { RedisCluster, redisClusterAvailable } from './support/redis-cluster.ts';
import { eventually } from './support/eventually.ts';
import { quietLog } from './support/room-world.ts';

const from = { id: 'c_x', name: 'x' };
const ROOM = 'slot-given-back';
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

/**
 * Redis ends a room's shard subscription (SUNSUBSCRIBE) when its slot leaves
 * the node, and when the slot map then reads as before, the refresh ioredis
 * makes at once subscribes nothing again and says nothing: without the
 * periodic slot-map refresh (slotsRefreshInterval) the room went silent on
 * this replica, with no reset (0 shard subscribers after 7 s).
 */
it.runIf(redisClusterAvailable())(
  'a room whose shard subscription Redis ended while its slot stayed on the same master is subscribed again and delivers what follows',
  async () => {
    const cluster = await RedisCluster.start();
    opened.push({ close: () => cluster.stop() });
    const a = new RedisBroker({ url: cluster.target, instance: 'a', historySize: 1000, log: quietLog });
    const b = new RedisBroker({ url: cluster.target, instance: 'b', historySize: 1000, log: quietLog });
    opened.push(a, b);
    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true), 20_000);
    const events: RoomEvent[] = [];
    const kinds = () => events.filter((e) => e.type !== 'presence-gap').map((e) => (e.type === 'message' ? e.message.text : e.type));
    await a.subscribe(ROOM, (e) => events.push(e));
    await b.publish({ room: ROOM, from, text: 'before' });
    await eventually(() => expect(kinds()).toEqual(['before']));

    const channel = roomKeys(ROOM).channel;
    const home = await cluster.masterForKey(channel);
    const slot = await cluster.slotOf(channel);
    const shardSubscribers = async () => Number(((await cluster.admin(home).call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1]);
    expect(await shardSubscribers()).toBe(1);
    // The slot leaves its master and comes back at once (an operator's DELSLOTS/ADDSLOTS): Redis
    // sends SUNSUBSCRIBE to the slot's shard subscribers; the slot map ends as it was.
    const admin = cluster.admin(home);
    await admin.multi().call('CLUSTER', 'DELSLOTS', String(slot)).call('CLUSTER', 'ADDSLOTS', String(slot)).exec();
    expect(await cluster.masterForKey(channel)).toBe(home);
    await new Promise((r) => setTimeout(r, 7000));
    const subscribed = await shardSubscribers();
    for (let i = 0; i < 3; i++) await b.publish({ room: ROOM, from, text: `after ${i}` });
    await new Promise((r) => setTimeout(r, 1000));
    expect(subscribed).toBe(1);
    await eventually(() => expect(kinds()).toEqual(['before', 'after 0', 'after 1', 'after 2']), 10_000);
  },
  90_000,
);
