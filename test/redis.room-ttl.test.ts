import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import { compareIdText } from '../src/protocol/index.ts';
import { redisAvailable } from './support/redis-server.ts';
import { startRedisPair, startReplicaProcess, waitReady, type RedisPair } from './support/replica-processes.ts';
import { eventually } from './support/eventually.ts';
import { quietLog } from './support/room-world.ts';

const TTL_MS = 2000;
/** docs/protocol.md: a room is forgotten within 5 s after its TTL. */
const FORGOTTEN_WITHIN_MS = TTL_MS + 5000;
const alice = { id: 'c_alice', name: 'alice' };

/** ROOM_TTL of 2 s over a real Redis: replica processes (ROOM_TTL=2) and brokers in this process (roomTtlMs 2000). */
describe.runIf(redisAvailable())('room lifetime in Redis', () => {
  let pair: RedisPair;
  let admin: Redis;
  const brokers: RedisBroker[] = [];

  beforeAll(async () => {
    pair = await startRedisPair({ ROOM_TTL: String(TTL_MS / 1000), RATE_LIMIT: '0' });
    admin = new Redis(pair.redis.url);
  }, 30_000);
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    admin?.disconnect();
    await pair?.close();
  });

  /** Every key of the room, found by its hash tag. */
  async function keysOf(room: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `chat:{${room}}*`, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found.sort();
  }

  /** Waits until the room has no key left; returns how long that took from `since`. */
  async function forgotten(room: string, since: number): Promise<number> {
    await eventually(async () => expect(await keysOf(room)).toEqual([]), FORGOTTEN_WITHIN_MS + 1000);
    return Date.now() - since;
  }

  async function broker(instance: string): Promise<RedisBroker> {
    const b = new RedisBroker({ url: pair.redis.url, instance, historySize: 100, roomTtlMs: TTL_MS, log: quietLog });
    brokers.push(b);
    await eventually(() => expect(b.isReady()).toBe(true));
    return b;
  }

  it('forgets a room written and left, refs included; a later since is not recovered and ids still increase', async () => {
    const a = await broker('ttl-a');
    const room = 'written-and-left';
    await a.subscribe(room, () => {});
    await a.join(room, alice);
    const first = await a.publish({ room, from: alice, text: 'one', ref: 'ref-1' });
    const last = await a.publish({ room, from: alice, text: 'two', ref: 'ref-2' });
    await a.leave(room, alice);
    const leftAt = Date.now();
    expect(await keysOf(room)).toEqual([`chat:{${room}}:log`, `chat:{${room}}:ref-expiries`, `chat:{${room}}:refs`]);

    const tookMs = await forgotten(room, leftAt);
    console.log(`a room left with ROOM_TTL ${TTL_MS} ms had no key left after ${tookMs} ms`);
    expect(tookMs).toBeLessThan(FORGOTTEN_WITHIN_MS);

    expect(await a.history(room, last.id)).toEqual({ recovered: false, messages: [] });
    const again = await a.publish({ room, from: alice, text: 'once more', ref: 'ref-1' });
    expect(again.duplicate).toBe(false);
    expect(compareIdText(again.id, first.id)).toBeGreaterThan(0);
    expect(compareIdText(again.id, last.id)).toBeGreaterThan(0);
  }, 20_000);

  it('keeps a room with a quiet member past 3× the TTL, and forgets it once the member left', async () => {
    const a = await broker('ttl-quiet');
    const room = 'quiet';
    const listener = () => {};
    await a.subscribe(room, listener);
    await a.join(room, alice);
    const only = await a.publish({ room, from: alice, text: 'then silence' });
    const keepUntil = Date.now() + 3 * TTL_MS + 500;
    while (Date.now() < keepUntil) {
      expect(await keysOf(room)).toEqual([`chat:{${room}}:log`, `chat:{${room}}:members`]);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await a.history(room, only.id)).toEqual({ recovered: true, messages: [] });
    expect(await a.members(room)).toEqual([alice]);

    await a.leave(room, alice);
    await a.unsubscribe(room, listener);
    expect(await forgotten(room, Date.now())).toBeLessThan(FORGOTTEN_WITHIN_MS);
  }, 30_000);

  it('forgets, on replica processes with ROOM_TTL=2, a room whose members left; coming back with since is not recovered and gets larger ids', async () => {
    const room = 'processes';
    const bob = await pair.join(pair.two, 'bob', room);
    const carol = await pair.join(pair.one, 'carol', room);
    const said = await carol.client.say('before the end', 'ref-p');
    await bob.client.next('message', (m) => m.id === said.id);
    carol.client.close();
    bob.client.close();
    await eventually(async () => expect(await admin.hlen(`chat:{${room}}:members`)).toBe(0));

    const tookMs = await forgotten(room, Date.now());
    console.log(`a room left on replica processes with ROOM_TTL=2 had no key left after ${tookMs} ms`);
    expect(tookMs).toBeLessThan(FORGOTTEN_WITHIN_MS);

    const back = await pair.join(pair.one, 'carol', room, { since: said.id });
    expect(back.welcome).toMatchObject({ recovered: false, backlog: 0 });
    const resent = await back.client.say('before the end', 'ref-p');
    expect(compareIdText(resent.id, said.id)).toBeGreaterThan(0);
  }, 20_000);

  it('forgets a room whose only replica died, with nobody to sweep it', async () => {
    const room = 'orphaned';
    const doomed = await startReplicaProcess('ttl-doomed', { REDIS_URL: pair.redis.url, ROOM_TTL: String(TTL_MS / 1000) });
    try {
      await waitReady(doomed);
      const member = await pair.join(doomed, 'dora', room);
      await member.client.say('last words');
      doomed.service.child.kill('SIGKILL');
      await doomed.service.exited;
    } finally {
      await doomed.service.stop();
    }
    expect(await keysOf(room)).toContain(`chat:{${room}}:members`);
    const tookMs = await forgotten(room, Date.now());
    console.log(`a room whose replica was SIGKILLed had no key left after ${tookMs} ms`);
    expect(tookMs).toBeLessThan(FORGOTTEN_WITHIN_MS);
  }, 30_000);
});
