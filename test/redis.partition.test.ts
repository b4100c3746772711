import { afterEach, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import type { RoomEvent } from '../src/broker/broker.ts';
import { redisAvailable, redisWithUser } from './support/redis-server.ts';
import { eventually } from './support/eventually.ts';
import { quietLog } from './support/room-world.ts';

const PASSWORD = 'partition-Secret-8e2a';
const alice = { id: 'c_alice', name: 'alice' };
const bob = { id: 'c_bob', name: 'bob' };
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

it.runIf(redisAvailable())(
  'announces join again for a member whose replica was cut off from Redis long enough to be swept, and only then',
  async () => {
    // Replica B runs as its own Redis user, so the test can cut B alone off (and let it back).
    const { redis, admin, userUrl } = await redisWithUser('cut', PASSWORD, (o) => opened.push(o));
    const make = (url: string, instance: string) => {
      const broker = new RedisBroker({ url, instance, historySize: 100, log: quietLog, livenessTtlMs: 1000, heartbeatMs: 200 });
      opened.push(broker);
      return broker;
    };
    const a = make(redis.url, 'part-a');
    const b = make(userUrl, 'part-b');
    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true));
    const seen: string[] = [];
    await a.subscribe('split', (e: RoomEvent) => {
      if (e.type === 'join' || e.type === 'leave') seen.push(`${e.type} ${e.member.name} ${e.count}`);
    });
    await a.join('split', alice);
    await b.subscribe('split', () => undefined);
    await b.join('split', bob);
    await eventually(() => expect(seen).toEqual(['join alice 1', 'join bob 2']));

    // B is cut off past its liveness key's life: A sweeps bob, who is still connected to B.
    await admin.call('ACL', 'SETUSER', 'cut', 'off');
    await admin.call('CLIENT', 'KILL', 'USER', 'cut');
    await eventually(() => expect(seen).toEqual(['join alice 1', 'join bob 2', 'leave bob 1']), 10_000);
    expect(await a.members('split')).toEqual([alice]);

    // B comes back and records bob again: A's members must hear he is back.
    await admin.call('ACL', 'SETUSER', 'cut', 'on');
    const back = ['join alice 1', 'join bob 2', 'leave bob 1', 'join bob 2'];
    await eventually(() => expect(seen).toEqual(back), 10_000);
    expect(await a.members('split')).toEqual(expect.arrayContaining([alice, bob]));

    // A short blip that nobody swept is recorded again in silence.
    await admin.call('CLIENT', 'KILL', 'USER', 'cut');
    await eventually(() => expect(b.isReady()).toBe(false), 5000);
    await eventually(() => expect(b.isReady()).toBe(true), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(seen).toEqual(back);
  },
  30_000,
);
