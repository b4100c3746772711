import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { TestClient } from './support/test-client.ts';
import { IDLE_TIMEOUT_MS, PING_INTERVAL_MS, quietMemberStays, silentMemberIsDropped } from './support/liveness-checks.ts';

/** docs/protocol.md "Liveness" on a Node replica, with short settings. */
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

describe('liveness on Node, with a ping interval almost as long as the idle timeout', () => {
  const pingIntervalMs = 2000;
  const idleTimeoutMs = 2100;
  let slow: ReplicaSet;
  beforeAll(async () => {
    slow = await startReplicas(1, { pingIntervalMs, idleTimeoutMs });
  });
  afterAll(async () => {
    await slow?.close();
  });

  it('drops a silent member about IDLE_TIMEOUT_MS after it was last heard, not a ping interval later', async () => {
    const url = slow.wsUrl(0, 'lobby');
    const { client: watcher } = await TestClient.join(url);
    // With 100 ms between a ping and the idle limit, a pong late under load
    // would drop the watcher too: it keeps itself heard with frames instead.
    const keepHeard = setInterval(() => watcher.send({ type: 'ping' }), 300);
    try {
      const connectedAt = Date.now();
      const silent = await TestClient.connect(url, { autoPong: false });
      const { you } = await silent.next('welcome');
      await watcher.next('leave', (f) => f.member.id === you.id, idleTimeoutMs + 3000);
      const silentFor = Date.now() - connectedAt;
      expect(silentFor).toBeGreaterThanOrEqual(idleTimeoutMs);
      expect(silentFor).toBeLessThan(idleTimeoutMs + 1000);
      silent.close();
    } finally {
      clearInterval(keepHeard);
      watcher.close();
    }
  });
});
