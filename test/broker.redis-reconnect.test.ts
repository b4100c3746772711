import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import { compareIdText } from '../src/protocol/index.ts';
import type { RoomEvent } from '../src/broker/broker.ts';
import { RedisServer, redisAvailable, redisWithUser } from './support/redis-server.ts';
import { eventually } from './support/eventually.ts';
import { quietLog } from './support/room-world.ts';

const from = { id: 'c_x', name: 'x' };
const PASSWORD = 'lag-Secret-3e9f';
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function broker(redis: RedisServer, instance: string, heartbeatMs?: number): Promise<RedisBroker> {
  const b = new RedisBroker({ url: redis.url, instance, historySize: 1000, log: quietLog, heartbeatMs });
  opened.push(b);
  await eventually(() => expect(b.isReady()).toBe(true), 10_000);
  return b;
}

it.runIf(redisAvailable())(
  'after Redis comes back empty, delivers from the stream what others published before this replica resubscribed',
  async () => {
    const redis = await RedisServer.start();
    opened.push({ close: () => redis.stop() });
    const a = await broker(redis, 'a');
    const events: RoomEvent[] = [];
    const seen = () => events.filter((e) => e.type === 'message').map((e) => e.message.text);
    // A room with no message yet reads the whole new log, without a reset: its
    // members hold no `since` that a reset could answer with `recovered: false`
    // (a first message acked and lost in the crash is a gap the protocol has no
    // way to tell a member without `since`).
    await a.subscribe('gap', (e: RoomEvent) => events.push(e));

    await redis.kill();
    await eventually(() => expect(a.isReady()).toBe(false));
    // Long enough for a's reconnect backoff to grow past the time c needs to connect.
    await new Promise((r) => setTimeout(r, 1500));
    await redis.restart();
    const c = await broker(redis, 'c');
    const during: string[] = [];
    for (let i = 0; i < 10; i++) {
      await c.publish({ room: 'gap', from, text: `during ${i}` });
      if (!a.isReady()) during.push(`during ${i}`);
    }
    expect(during.length, 'a reconnected before c published: the gap was not exercised').toBeGreaterThan(0);

    const expected = Array.from({ length: 10 }, (_, i) => `during ${i}`);
    await eventually(() => expect(seen()).toEqual(expected), 10_000);
    await c.publish({ room: 'gap', from, text: 'live' });
    await eventually(() => expect(seen()).toEqual([...expected, 'live']));
    expect(events.filter((e) => e.type === 'reset')).toEqual([]);
  },
  30_000,
);

it.runIf(redisAvailable())(
  'after Redis comes back empty, resets a room whose log no longer holds the last message delivered here, then delivers live again',
  async () => {
    const redis = await RedisServer.start();
    opened.push({ close: () => redis.stop() });
    const a = await broker(redis, 'a');
    const events: RoomEvent[] = [];
    const kinds = () => events.filter((e) => e.type !== 'presence-gap').map((e) => (e.type === 'message' ? e.message.text : e.type));
    await a.subscribe('amnesia', (e) => events.push(e));
    for (let i = 0; i < 3; i++) await a.publish({ room: 'amnesia', from, text: `before ${i}` });
    await eventually(() => expect(kinds()).toEqual(['before 0', 'before 1', 'before 2']));

    // A message acked to its sender just before Redis died may never have reached this
    // replica, and the log that would say so is gone: the members here must be told.
    await redis.kill();
    await eventually(() => expect(a.isReady()).toBe(false));
    await redis.restart();
    await eventually(() => expect(kinds()).toEqual(['before 0', 'before 1', 'before 2', 'reset']), 10_000);
    expect(events.find((e) => e.type === 'reset')).toEqual({ type: 'reset', reason: expect.stringMatching(/no longer holds the last message/) });

    await eventually(() => expect(a.isReady()).toBe(true), 10_000);
    await a.publish({ room: 'amnesia', from, text: 'after' });
    await eventually(() => expect(kinds()).toEqual(['before 0', 'before 1', 'before 2', 'reset', 'after']));
  },
  30_000,
);

it.runIf(redisAvailable())(
  'removes, once Redis is back, a member whose leave failed while Redis was away, and records the others again',
  async () => {
    const redis = await RedisServer.start();
    opened.push({ close: () => redis.stop() });
    const a = await broker(redis, 'a', 200);
    const b = await broker(redis, 'b', 200);
    const events: RoomEvent[] = [];
    await a.subscribe('blip', () => {});
    await b.subscribe('blip', (e) => events.push(e));
    const alice = { id: 'c_alice', name: 'alice' };
    const carol = { id: 'c_carol', name: 'carol' };
    await a.join('blip', alice);
    await a.join('blip', carol);

    // A blip: Redis keeps its data but drops the replicas' connections.
    const admin = new Redis(redis.url);
    opened.push({ close: async () => admin.disconnect() });
    const own = String(await admin.client('ID'));
    for (const line of ((await admin.client('LIST')) as string).split('\n')) {
      const id = /\bid=(\d+)/.exec(line)?.[1];
      if (id && id !== own) await admin.client('KILL', 'ID', id);
    }
    await eventually(() => expect(a.isReady()).toBe(false));
    await expect(a.leave('blip', alice)).rejects.toMatchObject({ code: 'unavailable' });

    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true), 10_000);
    await eventually(async () => expect((await b.members('blip')).map((m) => m.name)).toEqual(['carol']), 10_000);
    await eventually(() => expect(events).toContainEqual({ type: 'leave', member: alice, count: 1 }));
    expect(events.filter((e) => e.type === 'leave')).toHaveLength(1);
  },
  30_000,
);

it.runIf(redisAvailable())(
  'keeps ids increasing when Redis lost the room’s log and its clock is behind the ids members hold',
  async () => {
    const redis = await RedisServer.start();
    opened.push({ close: () => redis.stop() });
    const a = await broker(redis, 'a');
    const seen: string[] = [];
    await a.subscribe('skew', (e) => e.type === 'message' && seen.push(e.message.id));
    // As if the log had been written by a Redis whose clock ran a minute ahead.
    const admin = new Redis(redis.url);
    opened.push({ close: async () => admin.disconnect() });
    await admin.xadd('chat:{skew}:log', `${Date.now() + 60_000}-0`, 'm', '{}');
    const before = await a.publish({ room: 'skew', from, text: 'from the old log' });
    await eventually(() => expect(seen).toEqual([before.id]));

    await admin.del('chat:{skew}:log');
    const after = await a.publish({ room: 'skew', from, text: 'after the loss' });
    expect(compareIdText(after.id, before.id)).toBeGreaterThan(0);
    await eventually(() => expect(seen).toEqual([before.id, after.id]));
  },
  30_000,
);

it.runIf(redisAvailable())(
  'after Redis comes back empty, resets a room subscribed after its last message, with nothing delivered here since',
  async () => {
    const redis = await RedisServer.start();
    opened.push({ close: () => redis.stop() });
    const a = await broker(redis, 'a');
    const c = await broker(redis, 'c');
    for (let i = 0; i < 3; i++) await c.publish({ room: 'floored', from, text: `before ${i}` });
    const events: RoomEvent[] = [];
    const kinds = () => events.filter((e) => e.type !== 'presence-gap').map((e) => (e.type === 'message' ? e.message.text : e.type));
    // Its gap read would start from the log's end as it subscribed ('before 2'), which the restart loses.
    await a.subscribe('floored', (e) => events.push(e));

    await redis.kill();
    await eventually(() => expect(a.isReady()).toBe(false));
    await redis.restart();
    await eventually(() => expect(kinds()).toEqual(['reset']), 10_000);
    await eventually(() => expect(c.isReady()).toBe(true), 10_000);
    await c.publish({ room: 'floored', from, text: 'after' });
    await eventually(() => expect(kinds()).toEqual(['reset', 'after']));
  },
  30_000,
);

it.runIf(redisAvailable())(
  'resets a room whose log holds the id last delivered here under another message (Redis lost its data with its clock behind the ids)',
  async () => {
    // b runs as its own user, so the test can keep its subscriber out (SUBSCRIBE refused): it lags one message behind.
    const { redis, admin, userUrl } = await redisWithUser('lag', PASSWORD, (o) => opened.push(o));
    const a = new RedisBroker({ url: redis.url, instance: 'a', historySize: 1000, log: quietLog });
    const b = new RedisBroker({ url: userUrl, instance: 'b', historySize: 1000, log: quietLog });
    opened.push(a, b);
    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true));
    const events: RoomEvent[] = [];
    const kinds = () => events.filter((e) => e.type !== 'presence-gap').map((e) => (e.type === 'message' ? e.message.text : e.type));
    await a.subscribe('skewed', (e) => events.push(e));
    const seenByB: string[] = [];
    await b.subscribe('skewed', (e) => e.type === 'message' && seenByB.push(e.message.id));
    // As if the log had been written while Redis's clock ran a minute ahead.
    await admin.xadd('chat:{skewed}:log', `${Date.now() + 60_000}-0`, 'm', JSON.stringify({ from, text: 'old' }));
    const one = await a.publish({ room: 'skewed', from, text: 'one' });
    await eventually(() => expect(seenByB).toEqual([one.id]));

    await admin.call('ACL', 'SETUSER', 'lag', '-subscribe');
    await admin.call('CLIENT', 'KILL', 'USER', 'lag', 'TYPE', 'pubsub');
    const two = await a.publish({ room: 'skewed', from, text: 'two' });
    await eventually(() => expect(kinds()).toEqual(['one', 'two']));

    // Redis loses its data; b, one behind, publishes first: its floor gives the new message two's id.
    await admin.flushall();
    await eventually(() => expect(b.isReady()).toBe(true));
    const other = await b.publish({ room: 'skewed', from, text: 'not two' });
    expect(other.id).toBe(two.id);
    await admin.call('CLIENT', 'KILL', 'USER', 'default', 'TYPE', 'pubsub');
    await eventually(() => expect(kinds()).toEqual(['one', 'two', 'reset']), 10_000);
  },
  30_000,
);

it.runIf(redisAvailable())(
  'lists its own members while Redis does not hold them yet, as after an empty restart before they are recorded again',
  async () => {
    const redis = await RedisServer.start();
    opened.push({ close: () => redis.stop() });
    const a = await broker(redis, 'a');
    const b = await broker(redis, 'b');
    const ann = { id: 'c_ann', name: 'ann' };
    const bob = { id: 'c_bob', name: 'bob' };
    await a.join('forgetful', ann);
    await b.join('forgetful', bob);
    const admin = new Redis(redis.url);
    opened.push({ close: async () => admin.disconnect() });
    await admin.del('chat:{forgetful}:members');

    // Each replica vouches for the members it holds; the other's come back when it records them.
    expect((await a.members('forgetful')).map((m) => m.name)).toEqual(['ann']);
    expect((await b.members('forgetful')).map((m) => m.name)).toEqual(['bob']);
  },
  30_000,
);
