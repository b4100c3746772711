import { env } from 'cloudflare:test';
import { expect, it } from 'vitest';
import { compareIdText } from '../../src/protocol/index.ts';
import { eventually } from '../support/eventually.ts';
import { WorkerClient } from './worker-client.ts';
import { storageOf } from './room-storage.ts';

/**
 * ROOM_TTL=2 (this file's own vitest project), with workerd firing the alarms
 * itself: a room written and left is deleted within TTL + 5 s, and a room with
 * a quiet member is kept.
 */
const TTL_MS = Number(env.ROOM_TTL) * 1000;

it('runs with ROOM_TTL=2', () => {
  expect(TTL_MS).toBe(2000);
});

it('deletes the storage of a room written and left within TTL + 5 s; a later since is not recovered and ids still increase', async () => {
  const { client: alice } = await WorkerClient.join('expiry-left', 'name=alice');
  const hello = await alice.say('hello', 'r1');
  alice.close();
  await alice.closed;
  expect((await storageOf('expiry-left')).messages).toBe(1);

  await eventually(async () => expect(await storageOf('expiry-left')).toEqual({ tables: [], messages: 0, keys: 0, alarm: null }), TTL_MS + 5000);

  const { client: bob, welcome, backlog } = await WorkerClient.join('expiry-left', `name=bob&since=${hello.id}`);
  expect([welcome.recovered, backlog]).toEqual([false, []]);
  expect(compareIdText((await bob.say('back', 'r1')).id, hello.id)).toBeGreaterThan(0);
  bob.close();
}, 15_000);

it('keeps a room whose member stays connected, however quiet, past 3 × TTL', async () => {
  const { client: alice } = await WorkerClient.join('expiry-quiet', 'name=alice');
  const first = await alice.say('anyone?', 'q1');
  await new Promise((resolve) => setTimeout(resolve, 3 * TTL_MS + 500));
  expect((await storageOf('expiry-quiet')).messages).toBe(1);
  const { client: bob, welcome } = await WorkerClient.join('expiry-quiet', `name=bob&since=${first.id}`);
  expect(welcome.recovered).toBe(true);
  bob.close();
  alice.close();
}, 15_000);
