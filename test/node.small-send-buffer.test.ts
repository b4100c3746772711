import { setImmediate as turn } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../src/broker/memory.ts';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { TestClient } from './support/test-client.ts';
import { until } from './support/client-sockets.ts';

/*
 * SEND_BUFFER_LIMIT may be as low as 16 KiB (src/config). A member that reads
 * everything at once must never be closed with 1013: only one whose bytes pile
 * up unread is.
 */
describe('a fast reader under the smallest send-buffer limit, with writes coalesced', () => {
  let set: ReplicaSet;
  let publisher: MemoryBroker;
  beforeAll(async () => {
    set = await startReplicas(1, { sendBufferLimit: 16 * 1024 });
    publisher = new MemoryBroker(set.bus);
  });
  afterAll(async () => {
    await publisher?.close();
    await set?.close();
  });

  it('gets a burst of 20 x 1 KiB messages in one turn and stays open', async () => {
    const { client } = await TestClient.join(set.wsUrl(0, 'burst', { name: 'reader' }));
    try {
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 20; i++) void publisher.publish({ room: 'burst', from: { id: 'c_pub', name: 'pub' }, text: `${round}.${i} ${'x'.repeat(1000)}` });
        await until(() => client.received.filter((f) => f.type === 'message').length === (round + 1) * 20 || client.closedAt !== undefined, 'the burst');
        await turn();
      }
      expect(await client.closedWithin(200)).toBeNull();
    } finally {
      client.close();
    }
  });
});
