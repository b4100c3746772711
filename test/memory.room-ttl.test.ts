import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { compareIdText } from '../src/protocol/index.ts';
import { eventually } from './support/eventually.ts';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { TestClient } from './support/test-client.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;

let set: ReplicaSet | null = null;
afterEach(async () => {
  await set?.close();
  set = null;
});

/** Time passing is what these tests are about, so here waiting is the test, not a guess at readiness. */
const waitUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Runs `task(i)` for i in [0, count), at most `width` at a time. */
async function inParallel(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

describe('ROOM_TTL on a memory replica', () => {
  it('forgets a room written and left within TTL + 5 s, and keeps a room with a quiet member past 3 × TTL', async () => {
    const ttlMs = 2000;
    set = await startReplicas(1, { roomTtlSeconds: ttlMs / 1000 });
    const { bus } = set;
    const registry = set.replicas[0]!.registry;

    const { client: carol } = await TestClient.join(set.wsUrl(0, 'ttl-quiet', { name: 'carol' }));
    const quietAck = await carol.say('anyone?');
    const quietFrom = Date.now();

    const { client: alice } = await TestClient.join(set.wsUrl(0, 'ttl-left', { name: 'alice' }));
    const leftAck = await alice.say('hello');
    alice.close();
    await eventually(() => expect(registry.connections).toBe(1));
    const leftAt = Date.now();
    expect(bus.roomCount).toBe(2);

    await eventually(() => expect(bus.roomCount).toBe(1), ttlMs + 5000);
    const goneAfter = Date.now() - leftAt;
    console.log(`a room left with ROOM_TTL=${ttlMs / 1000}s was forgotten after ${goneAfter} ms`);
    expect(goneAfter).toBeGreaterThan(ttlMs - 500);

    const { client: bob, welcome, backlog } = await TestClient.join(set.wsUrl(0, 'ttl-left', { name: 'bob', since: leftAck.id }));
    expect([welcome.recovered, backlog]).toEqual([false, []]);
    expect(compareIdText((await bob.say('back')).id, leftAck.id)).toBeGreaterThan(0);
    bob.close();

    await waitUntil(quietFrom + 3 * ttlMs + 1000);
    const { welcome: daveWelcome } = await TestClient.join(set.wsUrl(0, 'ttl-quiet', { name: 'dave', since: quietAck.id }));
    expect(daveWelcome.recovered).toBe(true);
    expect(daveWelcome.members.map((m: any) => m.name).sort()).toEqual(['carol', 'dave']);
  }, 30_000);

  it('returns to its starting heap after 20,000 rooms are written once, left and forgotten', async () => {
    const rooms = 20_000;
    set = await startReplicas(1, { roomTtlSeconds: 1, rateLimit: 0 });
    const { bus } = set;
    const registry = set.replicas[0]!.registry;
    const visit = async (room: string) => {
      const { client } = await TestClient.join(set!.wsUrl(0, room, { name: 'visitor' }));
      await client.say('hello');
      client.close();
      await client.closed;
    };
    // Warm up what a first connection allocates once (modules, buffers, JIT), then measure from there.
    await inParallel(200, 50, (i) => visit(`warm-${i}`));
    await eventually(() => expect([registry.connections, bus.roomCount]).toEqual([0, 0]), 10_000);
    const before = heapAfterGc();

    const started = Date.now();
    await inParallel(rooms, 50, (i) => visit(`room-${i}`));
    const visited = Date.now() - started;
    await eventually(() => expect(registry.connections).toBe(0), 10_000);
    const held = bus.roomCount;
    const peak = heapAfterGc();

    await eventually(() => expect(bus.roomCount).toBe(0), 1000 + 5000);
    const forgotten = Date.now() - started - visited;
    const after = heapAfterGc();

    console.log(
      `${rooms} rooms in ${visited} ms, ${held} still held after the last left, all forgotten ${forgotten} ms later; ` +
        `heap ${(before / MiB).toFixed(1)} MiB before, ${(peak / MiB).toFixed(1)} MiB with the rooms held, ` +
        `${(after / MiB).toFixed(1)} MiB after (${((after - before) / MiB).toFixed(1)} MiB more)`,
    );
    expect(after - before).toBeLessThan(16 * MiB);
  }, 180_000);
});
