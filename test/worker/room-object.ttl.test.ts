import { env, evictDurableObject, runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { compareIdText } from '../../src/protocol/index.ts';
import { edgeConfig } from '../../src/worker/edge-config.ts';
import { eventually } from '../support/eventually.ts';
import { WorkerClient } from './worker-client.ts';
import { roomObject, storageOf } from './room-storage.ts';

/** ROOM_TTL as the objects read it (the default: the alarm is run by hand, not waited for). */
const TTL_MS = edgeConfig(env).roomTtlSeconds * 1000;

describe('ROOM_TTL at the edge', () => {
  it('forgets a room written and left when its alarm runs: a later since is not recovered, and ids go on increasing', async () => {
    const { client: alice } = await WorkerClient.join('ttl-left', 'name=alice');
    const hello = await alice.say('hello', 'r1');
    alice.close();
    await alice.closed;
    const leftAt = Date.now();

    const held = await eventually(async () => {
      const storage = await storageOf('ttl-left');
      expect(storage.alarm).toBeGreaterThanOrEqual(leftAt - 1000 + TTL_MS);
      return storage;
    });
    expect(held.alarm).toBeLessThanOrEqual(Date.now() + TTL_MS);
    expect(held).toMatchObject({ tables: ['messages', 'refs'], messages: 1, keys: 1 });

    expect(await runDurableObjectAlarm(roomObject('ttl-left'))).toBe(true);
    expect(await storageOf('ttl-left')).toEqual({ tables: [], messages: 0, keys: 0, alarm: null });

    const { client: bob, welcome, backlog } = await WorkerClient.join('ttl-left', `name=bob&since=${hello.id}`);
    expect([welcome.recovered, backlog]).toEqual([false, []]);
    const back = await bob.say('back', 'r1');
    expect(compareIdText(back.id, hello.id)).toBeGreaterThan(0);

    // An evicted object has only the clock to go on, and it has moved on.
    await evictDurableObject(roomObject('ttl-left'), { webSockets: 'close' });
    const { client: carol } = await WorkerClient.join('ttl-left', 'name=carol');
    expect(compareIdText((await carol.say('later', 'r2')).id, back.id)).toBeGreaterThan(0);
  });

  it('keeps a room whose member stays connected when its alarm runs, and sets the alarm again', async () => {
    const { client: alice } = await WorkerClient.join('ttl-quiet', 'name=alice');
    const first = await alice.say('anyone?', 'q1');
    const { client: bob } = await WorkerClient.join('ttl-quiet', 'name=bob');
    await bob.say('me, briefly', 'q2');
    bob.close();
    await alice.next('leave');

    await eventually(async () => expect((await storageOf('ttl-quiet')).alarm).not.toBeNull());
    const ranAt = Date.now();
    expect(await runDurableObjectAlarm(roomObject('ttl-quiet'))).toBe(true);

    const kept = await storageOf('ttl-quiet');
    expect(kept.messages).toBe(2);
    expect(kept.alarm).toBeGreaterThanOrEqual(ranAt + TTL_MS);
    const { welcome } = await WorkerClient.join('ttl-quiet', `name=carol&since=${first.id}`);
    expect(welcome.recovered).toBe(true);
  });

  it('judges a room whose members vanished without a close by its last message', async () => {
    const { client: alice } = await WorkerClient.join('ttl-vanished', 'name=alice');
    await alice.say('hello', 'v1');
    await evictDurableObject(roomObject('ttl-vanished'), { webSockets: 'close' });
    await eventually(async () => expect((await storageOf('ttl-vanished')).alarm).not.toBeNull());

    // The alarm set when alice came finds the room empty but written since: it waits a TTL from that message.
    expect(await runDurableObjectAlarm(roomObject('ttl-vanished'))).toBe(true);
    const waiting = await storageOf('ttl-vanished');
    expect(waiting.messages).toBe(1);
    expect(waiting.alarm).toBeGreaterThan(Date.now() + TTL_MS - 60_000);

    expect(await runDurableObjectAlarm(roomObject('ttl-vanished'))).toBe(true);
    expect((await storageOf('ttl-vanished')).tables).toEqual([]);
  });
});
