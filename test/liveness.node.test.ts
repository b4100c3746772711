import { afterAll, beforeAll, describe, it } from 'vitest';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { IDLE_TIMEOUT_MS, PING_INTERVAL_MS, quietMemberStays, silentMemberIsDropped } from './support/liveness-checks.ts';

/** PROTOCOL.md "Liveness" on a Node replica, with short settings. */
let set: ReplicaSet;
beforeAll(async () => {
  set = await startReplicas(1, { pingIntervalMs: PING_INTERVAL_MS, idleTimeoutMs: IDLE_TIMEOUT_MS });
});
afterAll(async () => {
  await set?.close();
});

describe('liveness on Node', () => {
  it('drops a member that stops answering pings, and the others get its leave', async () => {
    await silentMemberIsDropped(set.wsUrl(0, 'lobby'));
  });

  it('keeps a member that answers pings though it sends no data', async () => {
    await quietMemberStays(set.wsUrl(0, 'lobby'));
  });
});
