import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { eventually } from './support/eventually.ts';
import { TestClient } from './support/test-client.ts';

/**
 * Refusals of a Node replica beyond the conformance suite's (which every
 * runtime passes): the connection cap, which only a replica has.
 */
let set: ReplicaSet;
beforeAll(async () => {
  set = await startReplicas(1, { maxConnections: 1 });
});
afterAll(async () => {
  await set?.close();
});

describe('a Node replica refuses before the upgrade, with the JSON error body', () => {
  it('503 overloaded at the connection cap, and takes members again below it', async () => {
    const { client } = await TestClient.join(set.wsUrl(0, 'lobby'));
    await expect(TestClient.connect(set.wsUrl(0, 'lobby'))).rejects.toMatchObject({
      status: 503,
      body: { error: { code: 'overloaded', message: expect.any(String) } },
    });
    client.close();
    // The replica counts the member gone once it sees the socket close.
    const { client: next } = await eventually(() => TestClient.join(set.wsUrl(0, 'lobby')));
    next.close();
  });

  it('400 bad_request for /ws/ without a room, even without an upgrade', async () => {
    const res = await fetch(set.httpUrl(0, '/ws/'));
    expect([res.status, (await res.json()).error.code]).toEqual([400, 'bad_request']);
  });
});
