import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, redisAvailable } from './support/redis-server.ts';
import { startReplicaProcess, waitReady, type ReplicaProcess } from './support/replica-processes.ts';
import { TestClient } from './support/test-client.ts';
import { selfSignedCertificate } from './support/tls-certificate.ts';

const PASSWORD = 'chat-Secret-4f9a';
const WRONG = 'not-the-Secret-77b1';

/** The ACL that deploy/redis-acl.template gives (the compose file uses the same), rendered. */
function aclLines(user: string, password: string): string[] {
  return readFileSync(new URL('../deploy/redis-acl.template', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('user '))
    .map((l) => l.replaceAll('${REDIS_USER}', user).replaceAll('${REDIS_PASSWORD}', password));
}

describe.runIf(redisAvailable())('Redis with an ACL user and no default user', () => {
  let redis: RedisServer;
  const replicas: ReplicaProcess[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start({ config: aclLines('chat', PASSWORD) });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(replicas.map((r) => r.service.stop()));
    await redis?.stop();
  });

  it('is enough for two replicas to chat, recover, de-duplicate and keep presence', async () => {
    const url = `redis://chat:${PASSWORD}@127.0.0.1:${redis.port}`;
    // One keeps rooms for ever (PERSIST), the other for the default ROOM_TTL (PEXPIRE): both paths run under the ACL.
    replicas.push(await startReplicaProcess('acl-1', { REDIS_URL: url, ROOM_TTL: '0' }), await startReplicaProcess('acl-2', { REDIS_URL: url }));
    await Promise.all(replicas.map((r) => waitReady(r)));
    const [one, two] = replicas as [ReplicaProcess, ReplicaProcess];

    const alice = await TestClient.join(one.wsUrl('acl', { name: 'alice' }));
    const bob = await TestClient.join(two.wsUrl('acl', { name: 'bob' }));
    clients.push(alice.client, bob.client);
    expect(bob.welcome.members).toHaveLength(2);
    const ack = await alice.client.say('through the ACL', 'acl-ref');
    expect((await bob.client.next('message')).id).toBe(ack.id);
    expect(await alice.client.say('again', 'acl-ref')).toEqual(ack);

    const back = await TestClient.join(two.wsUrl('acl', { name: 'carol', since: ack.id }));
    clients.push(back.client);
    expect(back.welcome).toMatchObject({ recovered: true, backlog: 0 });
    bob.client.close();
    expect((await alice.client.next('leave')).member.name).toBe('bob');

    // A replica stopped on purpose removes its members at once, not after its liveness key expires.
    two.service.signal('SIGTERM');
    const stoppedAt = Date.now();
    expect((await alice.client.next('leave')).member.name).toBe('carol');
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect((await two.service.exited).code).toBe(0);

    for (const r of replicas) expect(r.service.logs).not.toMatch(/NOPERM|NOSCRIPT|"level":(40|50)/);
  });

  it('keeps a replica with a wrong password unready, saying why in one log line that holds no password', async () => {
    const wrong = await startReplicaProcess('acl-wrong', { REDIS_URL: `redis://chat:${WRONG}@127.0.0.1:${redis.port}` });
    replicas.push(wrong);
    await waitReady(wrong, 503);
    await new Promise((r) => setTimeout(r, 3000));
    await waitReady(wrong, 503, 1);
    await expect(TestClient.connect(wrong.wsUrl('acl'))).rejects.toMatchObject({ status: 503 });

    const lines = wrong.service.logs.split('\n');
    const why = lines.filter((l) => /WRONGPASS/.test(l));
    expect(why).toHaveLength(1);
    expect(why[0]).toMatch(/Redis unreachable/);
    expect(wrong.service.logs).not.toContain(WRONG);
  });

  it('takes rediss:// with user and password unchanged, over TLS', async () => {
    const tls = selfSignedCertificate();
    const secure = await RedisServer.start({ config: aclLines('chat', PASSWORD), tls });
    try {
      const env = { REDIS_URL: `rediss://chat:${PASSWORD}@127.0.0.1:${secure.port}`, NODE_EXTRA_CA_CERTS: tls.certFile };
      const one = await startReplicaProcess('tls-1', env);
      const two = await startReplicaProcess('tls-2', env);
      replicas.push(one, two);
      await Promise.all([waitReady(one), waitReady(two)]);
      const alice = await TestClient.join(one.wsUrl('tls', { name: 'alice' }));
      const bob = await TestClient.join(two.wsUrl('tls', { name: 'bob' }));
      clients.push(alice.client, bob.client);
      const ack = await alice.client.say('encrypted');
      expect((await bob.client.next('message')).id).toBe(ack.id);
      expect(one.service.logs).not.toContain(PASSWORD);
    } finally {
      await secure.stop();
      tls.remove();
    }
  });
});
