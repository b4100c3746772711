import {
  createExecutionContext,
  env,
  evictDurableObject,
  listDurableObjectIds,
  runDurableObjectAlarm,
  runInDurableObject,
} from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker, { type ChatRoom } from '../../src/worker/index.ts';
import { edgeAccess } from '../../src/worker/edge-access.ts';
import { edgeConfig } from '../../src/worker/edge-config.ts';
import type { Env } from '../../src/worker/env.ts';
import type { SavedMember } from '../../src/worker/worker-member-socket.ts';
import { hmac, mint, nowSeconds } from '../conformance/tokens.ts';
import { eventually } from '../support/eventually.ts';
import { HANDSHAKE, WorkerClient } from './worker-client.ts';
import { roomObject, storageOf } from './room-storage.ts';

/**
 * With AUTH_SECRET set (this file's own vitest project): the Worker checks the
 * token and hands the room's object its claims; the object keeps each member's
 * deadline in its socket's attachment and closes it with 4001 from its alarm.
 */
const signer = hmac(env.AUTH_SECRET!);

/** A token for `sub` that expires `seconds` from now (whole seconds, as `exp` is). */
async function tokenFor(sub: string, seconds: number, claims: Record<string, unknown> = {}) {
  const exp = nowSeconds() + seconds;
  return { jwt: await mint(signer, { sub, exp, ...claims }), exp };
}

/** The deadlines the room's object saved with its members' sockets, by user. */
function savedDeadlines(room: string) {
  return runInDurableObject(roomObject(room), (_instance, state) =>
    Object.fromEntries(
      state.getWebSockets().map((ws) => {
        const saved = ws.deserializeAttachment() as SavedMember;
        return [saved.info.user, saved.expiresAt];
      }),
    ),
  );
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tokens at the edge', () => {
  it('takes a token that never expires in practice (exp 9999999999): the alarm is set at most a year ahead, as workerd refuses dates past 2189', async () => {
    const errors = vi.spyOn(console, 'error');
    try {
      const jwt = await mint(signer, { sub: 'u-forever', exp: 9_999_999_999 });
      const { client } = await WorkerClient.join('auth-forever', `token=${jwt}`);
      const { alarm } = await eventually(async () => {
        const storage = await storageOf('auth-forever');
        expect(storage.alarm).not.toBeNull();
        return storage;
      });
      expect(alarm!).toBeLessThanOrEqual(Date.now() + 366 * 24 * 3600 * 1000);
      expect(errors.mock.calls.map((call) => String(call[0]))).not.toContainEqual(expect.stringContaining('could not set the room alarm'));
      client.close();
    } finally {
      errors.mockRestore();
    }
  });

  it('refuses a missing token in the Worker, before any object is made for the room', async () => {
    await expect(WorkerClient.connect('auth-none')).rejects.toThrow(/^upgrade refused with 401: .*"code":"unauthorized"/);
    const ids = (await listDurableObjectIds(env.ROOMS)).map((id) => id.toString());
    expect(ids).not.toContain(env.ROOMS.idFromName('auth-none').toString());
  });

  it("joins under the token's name and user, whatever the query says; the alarm is set at the deadline and closes the member with 4001", async () => {
    const alice = await tokenFor('u-alice', 3, { name: 'alice' });
    const bob = await tokenFor('u-bob', 600);
    const { client: first, welcome } = await WorkerClient.join('auth-expiry', `token=${alice.jwt}&name=mallory&user=mallory`);
    expect(welcome.you).toEqual({ id: expect.any(String), name: 'alice', user: 'u-alice' });
    const { client: second } = await WorkerClient.join('auth-expiry', `token=${bob.jwt}`);
    expect((await first.next('join')).member).toMatchObject({ name: 'u-bob', user: 'u-bob' });

    // Nothing keeps the object awake for the deadline: its alarm is set at it.
    expect((await storageOf('auth-expiry')).alarm).toBe(alice.exp * 1000);
    expect(await savedDeadlines('auth-expiry')).toEqual({ 'u-alice': alice.exp * 1000, 'u-bob': bob.exp * 1000 });

    expect(await first.closed).toBe(4001);
    expect(Date.now()).toBeGreaterThanOrEqual(alice.exp * 1000);
    expect((await second.next('leave')).member).toEqual(welcome.you);
    expect((await storageOf('auth-expiry')).alarm).toBe(bob.exp * 1000);
    second.close();
  }, 15_000);

  it('moves the deadline, its saved copy and the alarm on a refresh, and the member stays past the old deadline', async () => {
    const first = await tokenFor('u-carol', 2);
    const { client } = await WorkerClient.join('auth-refresh', `token=${first.jwt}`);
    const later = await tokenFor('u-carol', 600);
    client.send({ type: 'refresh', token: later.jwt });
    expect(await client.next('refreshed')).toEqual({ type: 'refreshed', exp: later.exp });

    expect((await storageOf('auth-refresh')).alarm).toBe(later.exp * 1000);
    expect(await savedDeadlines('auth-refresh')).toEqual({ 'u-carol': later.exp * 1000 });
    await pause(first.exp * 1000 - Date.now() + 500);
    client.send({ type: 'ping' });
    expect(await client.next('pong')).toEqual({ type: 'pong' });
    client.close();
  }, 15_000);

  it('refuses a refresh for another sub, or for a room the token does not grant, and the old deadline stands', async () => {
    const own = await tokenFor('u-dave', 600);
    const { client } = await WorkerClient.join('auth-refused', `token=${own.jwt}`);
    for (const token of [await tokenFor('u-eve', 900), await tokenFor('u-dave', 900, { rooms: ['elsewhere'] })]) {
      client.send({ type: 'refresh', token: token.jwt });
      expect(await client.next('error')).toMatchObject({ code: 'unauthorized' });
    }
    expect((await storageOf('auth-refused')).alarm).toBe(own.exp * 1000);
    expect(await savedDeadlines('auth-refused')).toEqual({ 'u-dave': own.exp * 1000 });
    client.close();
  }, 15_000);

  it('keeps deadlines through a hibernation: the evicted object is woken by its alarm and closes the member with 4001', async () => {
    const frank = await tokenFor('u-frank', 3);
    const grace = await tokenFor('u-grace', 600);
    const { client: first, welcome } = await WorkerClient.join('auth-hibernate', `token=${frank.jwt}`);
    const { client: second } = await WorkerClient.join('auth-hibernate', `token=${grace.jwt}`);
    await first.next('join');

    await evictDurableObject(roomObject('auth-hibernate'));
    // A refresh wakes the object, which finds both deadlines again; grace's moves, frank's stands.
    const graceLater = await tokenFor('u-grace', 1200);
    second.send({ type: 'refresh', token: graceLater.jwt });
    await second.next('refreshed');
    expect(await savedDeadlines('auth-hibernate')).toEqual({ 'u-frank': frank.exp * 1000, 'u-grace': graceLater.exp * 1000 });

    await evictDurableObject(roomObject('auth-hibernate'));
    expect(await first.closed).toBe(4001);
    expect((await second.next('leave')).member).toEqual(welcome.you);
    await eventually(async () => expect((await storageOf('auth-hibernate')).alarm).toBe(graceLater.exp * 1000));
    second.close();
  }, 15_000);
});

describe('one alarm for deadlines and ROOM_TTL', () => {
  const TTL_MS = edgeConfig(env).roomTtlSeconds * 1000;

  it('after the last member expires, the alarm moves to the room lifetime, which forgets the room when it runs', async () => {
    const heidi = await tokenFor('u-heidi', 2);
    const { client } = await WorkerClient.join('auth-ttl', `token=${heidi.jwt}`);
    await client.say('before expiry', 'h1');
    expect((await storageOf('auth-ttl')).alarm).toBe(heidi.exp * 1000);

    expect(await client.closed).toBe(4001);
    const quiet = await eventually(async () => {
      const storage = await storageOf('auth-ttl');
      expect(storage.alarm).toBeGreaterThanOrEqual(heidi.exp * 1000 + TTL_MS);
      return storage;
    });
    expect(quiet).toMatchObject({ messages: 1, keys: 1 });

    expect(await runDurableObjectAlarm(roomObject('auth-ttl'))).toBe(true);
    expect(await storageOf('auth-ttl')).toEqual({ tables: [], messages: 0, keys: 0, alarm: null });
  }, 15_000);

  it('an alarm that runs while a later one is set (a stale one) closes no member before its deadline', async () => {
    const ivan = await tokenFor('u-ivan', 600);
    const { client } = await WorkerClient.join('auth-stale', `token=${ivan.jwt}`);
    expect((await storageOf('auth-stale')).alarm).toBe(ivan.exp * 1000);

    await runInDurableObject(roomObject('auth-stale'), (instance: ChatRoom) => instance.alarm());
    client.send({ type: 'ping' });
    expect(await client.next('pong')).toEqual({ type: 'pong' });
    expect((await storageOf('auth-stale')).alarm).toBe(ivan.exp * 1000);
    client.close();
  });
});

describe('a key the Worker cannot import', () => {
  afterEach(() => vi.restoreAllMocks());

  // What would be the key's material: no log line may carry it.
  const KEY_BODY = 'bm90LWEta2V5LWJ1dC1zZWNyZXQtYWxsLXRoZS1zYW1l';

  it('fails each connection with a 500 JSON body and a log line naming the variable, never its value', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const badEnv: Env = { ...env, AUTH_SECRET: undefined, AUTH_PUBLIC_KEY: `-----BEGIN PUBLIC KEY-----\n${KEY_BODY}\n-----END PUBLIC KEY-----` };
    for (let i = 0; i < 2; i++) {
      const request = new Request('http://chat.test/ws/lobby', { headers: HANDSHAKE });
      const res = await worker.fetch(request, badEnv, createExecutionContext());
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal server error' } });
    }
    const lines = errors.mock.calls.map((call) => String(call[0]));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toContain('AUTH_PUBLIC_KEY is not a PEM public key');
      expect(line).not.toContain(KEY_BODY);
    }
  });

  it('is imported once per env object, not once a request', () => {
    const sameEnv: Env = { ...env };
    expect(edgeAccess(sameEnv)).toBe(edgeAccess(sameEnv));
  });
});
