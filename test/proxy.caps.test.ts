import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ReplicasBehindNginx, nginxAvailable, startReplicasBehindNginx } from './support/nginx.ts';
import { type Refusal, TestClient } from './support/test-client.ts';

/**
 * The per-address cap behind the real nginx (deploy/nginx.conf): every member
 * reaches the replica from nginx's one address, so with TRUST_PROXY=1 the
 * replica counts them by the rightmost X-Forwarded-For entry, the one nginx
 * adds. Clients come from several loopback addresses (Linux routes all of
 * 127.0.0.0/8 to lo), one per test, so that no test waits for another's
 * members to be gone.
 */
describe.runIf(nginxAvailable())('MAX_CONNECTIONS_PER_IP=3 behind nginx, with TRUST_PROXY=1', () => {
  let proxied: ReplicasBehindNginx;
  const clients: TestClient[] = [];
  const room = `caps-${Date.now()}`;

  beforeAll(async () => {
    proxied = await startReplicasBehindNginx(1, { maxConnectionsPerIp: 3, trustProxy: true });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await proxied?.stop();
  });

  /** Connects through nginx from `from`; the welcome, or the refusal the upgrade got. */
  async function connect(name: string, from: string, headers: Record<string, string> = {}): Promise<{ client?: TestClient; refusal?: Refusal }> {
    try {
      const client = await TestClient.connect(proxied.wsUrl(`/ws/${room}?name=${name}`), { localAddress: from, headers });
      clients.push(client);
      await client.next('welcome');
      return { client };
    } catch (err: any) {
      if (err.status === undefined) throw err;
      return { refusal: { status: err.status, body: err.body } };
    }
  }

  const rateLimited = { status: 429, body: { error: { code: 'rate_limited', message: expect.any(String) } } };

  it('counts two client addresses apart: each holds 3, the 4th from either gets 429, and the others keep chatting', async () => {
    const admitted = [];
    for (const from of ['127.0.0.1', '127.0.0.2']) {
      for (let i = 0; i < 3; i++) admitted.push(await connect(`${from}-${i}`, from));
    }
    expect(admitted.map((a) => a.refusal)).toEqual(Array(6).fill(undefined));

    expect((await connect('one-more', '127.0.0.1')).refusal).toEqual(rateLimited);
    expect((await connect('one-more', '127.0.0.2')).refusal).toEqual(rateLimited);

    for (const { client } of admitted) expect(await client!.say('still here')).toMatchObject({ type: 'ack' });
  });

  it('does not let a client raise its cap, or spend another address, with an X-Forwarded-For of its own', async () => {
    const forged = ['203.0.113.7', '127.0.0.4', '198.51.100.1, 127.0.0.4', '127.0.0.5'];
    const attempts = [];
    for (const [i, xff] of forged.entries()) attempts.push(await connect(`forger-${i}`, '127.0.0.3', { 'X-Forwarded-For': xff }));
    expect(attempts.map((a) => a.refusal)).toEqual([undefined, undefined, undefined, rateLimited]);

    // The address the forger named is untouched: its own three still get in.
    const named = [];
    for (let i = 0; i < 3; i++) named.push(await connect(`named-${i}`, '127.0.0.4'));
    expect(named.map((a) => a.refusal)).toEqual([undefined, undefined, undefined]);
  });
});
