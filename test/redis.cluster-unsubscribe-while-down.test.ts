import { afterEach, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import { roomKeys } from '../src/broker/redis-keys.ts';
import { CHAT_USER, RedisCluster, redisClusterAvailable } from './support/redis-cluster.ts';
import { eventually } from './support/eventually.ts';
import { quietLog } from './support/room-world.ts';

const ROOM = 'dropped-while-down';
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

/**
 * A cluster client's sharded subscribers keep their channels and subscribe
 * them again when they are back; a room unsubscribed meanwhile must not be
 * (a shard subscription nobody reads, for as long as the replica runs).
 */
it.runIf(redisClusterAvailable())(
  'a room unsubscribed while the cluster connection is down is not subscribed again when it comes back',
  async () => {
    const cluster = await RedisCluster.start();
    opened.push({ close: () => cluster.stop() });
    const a = new RedisBroker({ url: cluster.target, instance: 'a', historySize: 1000, log: quietLog });
    opened.push(a);
    await eventually(() => expect(a.isReady()).toBe(true), 20_000);
    const listener = () => {};
    await a.subscribe(ROOM, listener);
    const channel = roomKeys(ROOM).channel;
    const home = await cluster.masterForKey(channel);
    const shardSubscribers = async () => Number(((await cluster.admin(home).call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1]);
    expect(await shardSubscribers()).toBe(1);

    // The chat user is refused on every node and its connections dropped: the cluster client is down until it is let in again.
    for (const port of cluster.ports) await cluster.admin(port).call('ACL', 'SETUSER', CHAT_USER, 'off');
    for (const port of cluster.ports) await cluster.admin(port).call('CLIENT', 'KILL', 'USER', CHAT_USER);
    await eventually(() => expect(a.isReady()).toBe(false), 10_000);
    await a.unsubscribe(ROOM, listener);
    expect(await shardSubscribers()).toBe(0);
    for (const port of cluster.ports) await cluster.admin(port).call('ACL', 'SETUSER', CHAT_USER, 'on');
    await eventually(() => expect(a.isReady()).toBe(true), 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await shardSubscribers()).toBe(0);
  },
  90_000,
);
