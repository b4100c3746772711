import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import { roomKeys } from '../src/broker/redis-keys.ts';
import { eventually } from './support/eventually.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';
import { quietLog } from './support/room-world.ts';

const SHORT_TTL_MS = 2000;
/** docs/protocol.md: a room is forgotten within 5 s after its TTL. */
const FORGOTTEN_WITHIN_MS = SHORT_TTL_MS + 5000;
const LONG_TTL_MS = 60_000;
const alice = { id: 'c_alice', name: 'alice' };
const bob = { id: 'c_bob', name: 'bob' };
const server = { id: 'server', name: 'server' };

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A publish sets the TTL of only the keys it writes (redis-scripts.ts); these
 * prove the room still lives and dies as a whole: ROOM_TTL after its last
 * write, with no key outliving its log, across changes of ROOM_TTL.
 */
describe.runIf(redisAvailable())('room lifetime in Redis as publishes keep it', () => {
  let redis: RedisServer;
  let admin: Redis;
  const brokers: RedisBroker[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
  });
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  async function broker(instance: string, roomTtlMs: number): Promise<RedisBroker> {
    const b = new RedisBroker({ url: redis.url, instance, historySize: 100, roomTtlMs, log: quietLog });
    brokers.push(b);
    await eventually(() => expect(b.isReady()).toBe(true));
    return b;
  }

  /** Each key the room has, with its PTTL (-1: none). */
  async function ttls(room: string): Promise<Record<string, number>> {
    const found: Record<string, number> = {};
    for (const key of roomKeys(room).all) {
      const ttl = await admin.pttl(key);
      if (ttl !== -2) found[key.slice(key.lastIndexOf(':') + 1)] = ttl;
    }
    return found;
  }

  it('keeps a room that only receives messages, refs included, until ROOM_TTL after the last one, then forgets all of it', async () => {
    const api = await broker('publish-only', SHORT_TTL_MS);
    const room = 'messages-only';
    const first = await api.publish({ room, from: server, text: 'with a ref', ref: 'ref-kept' });
    await pause(SHORT_TTL_MS * 0.6);
    await api.publish({ room, from: server, text: 'no ref' });
    await pause(SHORT_TTL_MS * 0.6);
    await api.publish({ room, from: server, text: 'no ref either' });
    const lastAt = Date.now();
    await pause(SHORT_TTL_MS * 0.3);

    // Past ROOM_TTL after the ref, within it after the last message: the room, its ref among it, is all still there.
    expect(Object.keys(await ttls(room))).toEqual(['log', 'refs', 'ref-expiries']);
    expect(await api.publish({ room, from: server, text: 'again', ref: 'ref-kept' })).toEqual({ ...first, duplicate: true });

    await eventually(async () => expect(await ttls(room)).toEqual({}), FORGOTTEN_WITHIN_MS);
    const tookMs = Date.now() - lastAt;
    console.log(`a room that only received messages, with ROOM_TTL ${SHORT_TTL_MS} ms, had no key left ${tookMs} ms after the last one`);
    expect(tookMs).toBeGreaterThanOrEqual(SHORT_TTL_MS - 50);
    expect(tookMs).toBeLessThan(FORGOTTEN_WITHIN_MS);
  }, 20_000);

  it('lets no key of a room outlive its log, whichever replica and ROOM_TTL wrote last', async () => {
    const long = await broker('ttl-long', LONG_TTL_MS);
    const short = await broker('ttl-short', SHORT_TTL_MS * 10);
    const room = 'none-outlives-the-log';
    const writes: Array<[string, () => Promise<unknown>]> = [
      ['long: join', () => long.join(room, alice)],
      ['short: first message, with a ref', () => short.publish({ room, from: alice, text: 'one', ref: 'ref-1' })],
      ['long: message', () => long.publish({ room, from: alice, text: 'two' })],
      ['long: message with a ref', () => long.publish({ room, from: alice, text: 'three', ref: 'ref-2' })],
      ['short: join', () => short.join(room, bob)],
      ['short: message', () => short.publish({ room, from: bob, text: 'four' })],
      ['long: message', () => long.publish({ room, from: alice, text: 'five' })],
      ['long: leave', () => long.leave(room, alice)],
      ['short: message', () => short.publish({ room, from: bob, text: 'six' })],
    ];
    for (const [what, write] of writes) {
      await write();
      const room_ = await ttls(room);
      const ttlOfLog = room_.log ?? Number.POSITIVE_INFINITY;
      for (const [key, ttl] of Object.entries(room_)) {
        expect(ttl, `${key} after ${what}: ${JSON.stringify(room_)}`).toBeGreaterThan(0);
        // PTTLs are read one after another in whole ms: a key set in the same script may read 1–2 ms longer.
        expect(ttl, `${key} after ${what}: ${JSON.stringify(room_)}`).toBeLessThanOrEqual(ttlOfLog + 5);
      }
      // Whoever wrote last set the room's lifetime: the shorter ROOM_TTL after a write by the short one.
      if (what.startsWith('short')) expect(Math.max(...Object.values(room_)), `after ${what}`).toBeLessThanOrEqual(SHORT_TTL_MS * 10);
    }
  });

  it('makes every key persistent at the first message after ROOM_TTL became 0, and gives every key a TTL again once it is back', async () => {
    const withTtl = await broker('ttl-on', LONG_TTL_MS);
    const forever = await broker('ttl-off', 0);
    const room = 'ttl-switched';
    await withTtl.join(room, alice);
    await withTtl.publish({ room, from: alice, text: 'under a TTL', ref: 'ref-on' });
    const written = await ttls(room);
    expect(Object.keys(written)).toEqual(['log', 'members', 'refs', 'ref-expiries']);
    for (const ttl of Object.values(written)) expect(ttl).toBeGreaterThan(0);

    await forever.publish({ room, from: server, text: 'kept for ever, no ref' });
    expect(await ttls(room)).toEqual({ log: -1, members: -1, refs: -1, 'ref-expiries': -1 });

    await withTtl.publish({ room, from: alice, text: 'a TTL again, no ref' });
    const again = await ttls(room);
    expect(Object.keys(again)).toEqual(['log', 'members', 'refs', 'ref-expiries']);
    for (const [key, ttl] of Object.entries(again)) {
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(LONG_TTL_MS);
    }
  });
});
