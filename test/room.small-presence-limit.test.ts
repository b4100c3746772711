import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../src/broker/memory.ts';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { TestClient } from './support/test-client.ts';
import { sleep } from './support/client-sockets.ts';

describe('welcomes in a room flapping around PRESENCE_LIMIT 3, two replicas', () => {
  let set: ReplicaSet;
  let observer: MemoryBroker;
  beforeAll(async () => {
    set = await startReplicas(2, { presenceLimit: 3 });
    observer = new MemoryBroker(set.bus);
  });
  afterAll(async () => {
    await observer?.close();
    await set?.close();
  });

  it('lists the first 3 members in join order and counts all, whatever left', async () => {
    const room = 'flap';
    const live: { client: TestClient; id: string }[] = [];
    const order: string[] = [];
    for (let step = 0; step < 80; step++) {
      const leave = live.length > 0 && (live.length >= 5 || Math.random() < 0.45);
      if (leave) {
        // Leave a listed member most of the time: the cached list must follow.
        const at = Math.random() < 0.7 ? Math.floor(Math.random() * Math.min(3, live.length)) : Math.floor(Math.random() * live.length);
        const [gone] = live.splice(at, 1);
        gone!.client.close();
        await gone!.client.closed;
        // The leave is recorded once the replica sees the close.
        for (let i = 0; i < 50 && (await observer.members(room)).some((m) => m.id === gone!.id); i++) await sleep(5);
        order.splice(order.indexOf(gone!.id), 1);
      } else {
        const { client, welcome } = await TestClient.join(set.wsUrl(step % 2, room, { name: `m${step}` }));
        live.push({ client, id: welcome.you.id });
        order.push(welcome.you.id);
        expect(welcome.memberCount, `step ${step}`).toBe(order.length);
        expect(welcome.members.map((m: { id: string }) => m.id), `step ${step}`).toEqual(order.slice(0, 3));
      }
    }
    for (const m of live) m.client.close();
  }, 60_000);
});
