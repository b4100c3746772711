import { afterEach, expect, it } from 'vitest';
import type { RoomEvent } from '../src/broker/broker.ts';
import { RedisBroker } from '../src/broker/redis.ts';
import { roomKeys } from '../src/broker/redis-keys.ts';
import { eventually } from './support/eventually.ts';
import { RedisCluster, redisClusterAvailable } from './support/redis-cluster.ts';
import { quietLog } from './support/room-world.ts';

/**
 * A slot moved as redis-cli moves it: its old master ends the shard
 * subscription, and the slot map ioredis reads right then may not show the
 * move yet. Without a periodic refresh (slotsRefreshInterval) the room then
 * stayed subscribed nowhere, silently; on a loaded machine that happened in
 * about one run in two over 40 moves (after move 9, twice in four runs here).
 */
const MOVES = 40;
const from = { id: 'c_x', name: 'x' };
const ROOM = 'reshard-repeat';
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

it.runIf(redisClusterAvailable())(
  `keeps delivering a room whose slot moves between masters ${MOVES} times`,
  async () => {
    const cluster = await RedisCluster.start();
    opened.push({ close: () => cluster.stop() });
    const a = new RedisBroker({ url: cluster.target, instance: 'a', historySize: 1000, log: quietLog });
    const b = new RedisBroker({ url: cluster.target, instance: 'b', historySize: 1000, log: quietLog });
    opened.push(a, b);
    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true), 20_000);
    const events: RoomEvent[] = [];
    const texts = () => events.filter((e) => e.type !== 'presence-gap').map((e) => (e.type === 'message' ? e.message.text : e.type));
    // a only listens: a replica whose members only read never writes to the room, so nothing else would make it look again.
    await a.subscribe(ROOM, (e) => events.push(e));
    const channel = roomKeys(ROOM).channel;
    const expected: string[] = [];
    for (let k = 0; k < MOVES; k++) {
      const home = await cluster.masterForKey(channel);
      await cluster.moveSlot(channel, (await cluster.masters()).find((p) => p !== home)!);
      await b.publish({ room: ROOM, from, text: `after move ${k}` });
      expected.push(`after move ${k}`);
      // Within two slot-map refreshes and a gap read.
      await eventually(() => expect(texts(), `after move ${k}`).toEqual(expected), 8000);
    }
  },
  180_000,
);
