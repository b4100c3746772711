import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomKeys } from '../src/broker/redis-keys.ts';
import { CHAT_PASSWORD, RedisCluster, redisClusterAvailable } from './support/redis-cluster.ts';
import { startReplicaProcess, waitReady, type ReplicaProcess } from './support/replica-processes.ts';
import { TestClient } from './support/test-client.ts';
import { type TlsCertificate, selfSignedCertificate } from './support/tls-certificate.ts';

/**
 * `rediss://` on the first of REDIS_CLUSTER_NODES, as on one Redis: a cluster
 * that serves TLS only (no plain port; its bus and replication over TLS too),
 * the chat ACL user on every node, and the replicas trusting its certificate
 * through NODE_EXTRA_CA_CERTS.
 */
describe.runIf(redisClusterAvailable())('two replicas over a Redis Cluster that speaks TLS only', () => {
  let tls: TlsCertificate;
  let cluster: RedisCluster;
  const replicas: ReplicaProcess[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    tls = selfSignedCertificate();
    cluster = await RedisCluster.start({ tls });
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, NODE_EXTRA_CA_CERTS: tls.certFile };
    replicas.push(await startReplicaProcess('tls-cluster-1', env), await startReplicaProcess('tls-cluster-2', env));
    await Promise.all(replicas.map((r) => waitReady(r, 200, 20_000)));
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(replicas.map((r) => r.service.stop()));
    await cluster?.stop();
    tls?.remove();
  });

  it('chats across the replicas in a room on each master, and logs no password', async () => {
    const [one, two] = replicas as [ReplicaProcess, ReplicaProcess];
    expect(cluster.nodesEnv).toMatch(/^rediss:\/\/chat:/);
    const byMaster = new Map<number, string>();
    for (let n = 0; byMaster.size < 3; n++) {
      const room = `tls-${n}`;
      const master = await cluster.masterForKey(roomKeys(room).log);
      if (!byMaster.has(master)) byMaster.set(master, room);
    }
    for (const room of byMaster.values()) {
      const alice = await TestClient.join(one.wsUrl(room, { name: 'alice' }));
      const bob = await TestClient.join(two.wsUrl(room, { name: 'bob' }));
      clients.push(alice.client, bob.client);
      expect(bob.welcome.members.map((m: { name: string }) => m.name).sort()).toEqual(['alice', 'bob']);
      const ack = await alice.client.say(`encrypted in ${room}`);
      expect(await bob.client.next('message')).toMatchObject({ id: ack.id, text: `encrypted in ${room}` });
    }
    for (const r of replicas) {
      expect(r.service.logs).toContain('rediss cluster');
      expect(r.service.logs).not.toContain(CHAT_PASSWORD);
    }
  }, 60_000);
});
