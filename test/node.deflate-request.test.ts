import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../src/broker/memory.ts';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { TestClient } from './support/test-client.ts';
import { until } from './support/client-sockets.ts';

describe('a client that asks for permessage-deflate', () => {
  let set: ReplicaSet;
  let publisher: MemoryBroker;
  beforeAll(async () => {
    set = await startReplicas(1);
    publisher = new MemoryBroker(set.bus);
  });
  afterAll(async () => {
    await publisher?.close();
    await set?.close();
  });

  it('is not given the extension and reads every fan-out frame', async () => {
    const { client } = await TestClient.join(set.wsUrl(0, 'deflate', { name: 'd' }), { perMessageDeflate: { threshold: 0 } });
    try {
      expect(client.ws.extensions).toBe('');
      for (let i = 0; i < 50; i++) void publisher.publish({ room: 'deflate', from: { id: 'c_pub', name: 'pub' }, text: `${i} ${'é'.repeat(i * 50)}` });
      await until(() => client.received.filter((f) => f.type === 'message').length === 50, 'the 50 messages');
      expect(client.received.filter((f) => f.type === 'message').map((f) => f.text)).toEqual(Array.from({ length: 50 }, (_, i) => `${i} ${'é'.repeat(i * 50)}`));
      expect(await client.closedWithin(100)).toBeNull();
    } finally {
      client.close();
    }
  });
});
