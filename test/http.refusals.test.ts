import { afterEach, describe, expect, it } from 'vitest';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { eventually } from './support/eventually.ts';
import { TestClient } from './support/test-client.ts';

/**
 * Refusals of a Node replica beyond the conformance suite's (which every
 * runtime passes): the caps, which only a replica has, and their order.
 */
let set: ReplicaSet | undefined;
afterEach(async () => {
  await set?.close();
  set = undefined;
});

const refusal = (status: number, code: string) => ({ status, body: { error: { code, message: expect.any(String) } } });

describe('a Node replica refuses before the upgrade, with the JSON error body', () => {
  it('503 overloaded at the connection cap, and takes members again below it', async () => {
    set = await startReplicas(1, { maxConnections: 1 });
    const { client } = await TestClient.join(set.wsUrl(0, 'lobby'));
    await expect(TestClient.connect(set.wsUrl(0, 'lobby'))).rejects.toMatchObject(refusal(503, 'overloaded'));
    client.close();
    // The replica counts the member gone once it sees the socket close.
    const { client: next } = await eventually(() => TestClient.join(set!.wsUrl(0, 'lobby')));
    next.close();
  });

  it('400 bad_request for /ws/ without a room, even without an upgrade', async () => {
    set = await startReplicas(1);
    const res = await fetch(set.httpUrl(0, '/ws/'));
    expect([res.status, (await res.json()).error.code]).toEqual([400, 'bad_request']);
  });

  it('in docs/protocol.md order: 400, then 429 per-address cap, then 503 overloaded, then 503 unavailable', async () => {
    set = await startReplicas(1, { maxConnections: 1, maxConnectionsPerIp: 1 });
    const { client } = await TestClient.join(set.wsUrl(0, 'lobby'));
    set.bus.setAvailable(false);
    await expect(TestClient.connect(set.wsUrl(0, 'bad room!'))).rejects.toMatchObject(refusal(400, 'bad_request'));
    await expect(TestClient.connect(set.wsUrl(0, 'lobby'))).rejects.toMatchObject(refusal(429, 'rate_limited'));
    const otherAddress = { localAddress: '127.0.0.2' };
    await expect(TestClient.connect(set.wsUrl(0, 'lobby'), otherAddress)).rejects.toMatchObject(refusal(503, 'overloaded'));
    client.close();
    await eventually(() => expect(set!.replicas[0]!.registry.connections).toBe(0));
    await expect(TestClient.connect(set.wsUrl(0, 'lobby'), otherAddress)).rejects.toMatchObject(refusal(503, 'unavailable'));
  });
});
