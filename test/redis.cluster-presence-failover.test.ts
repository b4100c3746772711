import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomKeys } from '../src/broker/redis-keys.ts';
import { eventually } from './support/eventually.ts';
import { RedisCluster, redisClusterAvailable } from './support/redis-cluster.ts';
import { startReplicaProcess, waitReady, type ReplicaProcess } from './support/replica-processes.ts';
import { TestClient } from './support/test-client.ts';

const NODE_TIMEOUT_MS = 2000;

describe.runIf(redisClusterAvailable())('presence while the master holding a replica’s liveness key fails over', () => {
  let cluster: RedisCluster;
  const replicas: ReplicaProcess[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    cluster = await RedisCluster.start({ nodeTimeoutMs: NODE_TIMEOUT_MS });
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv };
    replicas.push(await startReplicaProcess('liveness-a', env), await startReplicaProcess('liveness-b', env));
    await Promise.all(replicas.map((r) => waitReady(r, 200, 20_000)));
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(replicas.map((r) => r.service.stop()));
    await cluster?.stop();
  });

  it('welcomes a newcomer in a room on another master with everyone listed, and keeps the members it could not judge', async () => {
    const [a, b] = replicas as [ReplicaProcess, ReplicaProcess];
    // liveness-a's key (chat:instance:liveness-a:<boot>), and the master holding it.
    const { key, master } = await eventually(async () => {
      for (const port of await cluster.masters()) {
        const [found] = (await cluster.admin(port).keys('chat:instance:liveness-a:*')) as string[];
        if (found) return { key: found, master: port };
      }
      throw new Error('liveness-a has no liveness key yet');
    }, 10_000);
    let room = '';
    for (let n = 0; !room; n++) if ((await cluster.masterForKey(roomKeys(`liveness-room-${n}`).log)) !== master) room = `liveness-room-${n}`;

    const alice = await TestClient.join(a.wsUrl(room, { name: 'alice' }));
    clients.push(alice.client);

    const killedAt = Date.now();
    await cluster.kill(master);
    // liveness-b holds nobody in the room yet: it reads the room's members, and judges alice by liveness-a's key.
    const bob = await TestClient.join(b.wsUrl(room, { name: 'bob' }));
    clients.push(bob.client);
    const welcomedMs = Date.now() - killedAt;
    // Still during the failover: the key's slot has no master that answers.
    expect(await cluster.masterForKey(key)).toBe(master);
    expect(welcomedMs).toBeLessThan(NODE_TIMEOUT_MS);
    expect(bob.welcome.members.map((m: { name: string }) => m.name).sort()).toEqual(['alice', 'bob']);
    expect((await alice.client.next('join')).member.name).toBe('bob');

    // Once the key's replica took over, liveness-a is still alive: nobody leaves.
    await eventually(async () => expect(await cluster.masterForKey(key)).not.toBe(master), 15_000);
    const carol = await TestClient.join(b.wsUrl(room, { name: 'carol' }));
    clients.push(carol.client);
    expect(carol.welcome.members.map((m: { name: string }) => m.name).sort()).toEqual(['alice', 'bob', 'carol']);
    await new Promise((r) => setTimeout(r, 1000));
    expect([...alice.client.received, ...bob.client.received].filter((f) => f.type === 'leave')).toEqual([]);
  }, 60_000);
});
