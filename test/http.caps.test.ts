import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { eventually } from './support/eventually.ts';
import { TestClient } from './support/test-client.ts';
import { sendRawRequests, upgradeRequest } from './support/abuse-raw-requests.ts';
import { denoAvailable, startDenoProcess } from './support/deno-process.ts';

/** MAX_CONNECTIONS_PER_IP: members one client address may hold on a replica (429 `rate_limited` past it). */
const CAP = 3;

let set: ReplicaSet | undefined;
afterEach(async () => {
  await set?.close();
  set = undefined;
});

const open: TestClient[] = [];
afterEach(() => {
  for (const client of open.splice(0)) client.close();
});

/** A member of `lobby` on replica 0, welcomed; closed after the test. */
async function member(options: { localAddress?: string; forwardedFor?: string } = {}): Promise<TestClient> {
  const headers = options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : undefined;
  const client = await TestClient.connect(set!.wsUrl(0, 'lobby'), { localAddress: options.localAddress, headers });
  open.push(client);
  await client.next('welcome');
  return client;
}

const refusedForCap = { status: 429, body: { error: { code: 'rate_limited', message: expect.any(String) } } };

describe('the per-address cap, by the TCP peer', () => {
  it('refuses the 4th member of one address, keeps the 3 chatting, admits another address, and one again after a close', async () => {
    set = await startReplicas(1, { maxConnectionsPerIp: CAP });
    const [alice, bob, carol] = [await member(), await member(), await member()];

    await expect(member()).rejects.toMatchObject(refusedForCap);

    await alice.say('still three of us');
    expect((await bob.next('message')).text).toBe('still three of us');
    expect((await carol.next('message')).text).toBe('still three of us');

    const fromElsewhere = await member({ localAddress: '127.0.0.2' });
    await fromElsewhere.say('another address');
    expect((await alice.next('message')).text).toBe('another address');

    carol.close();
    await eventually(() => member());
  });

  it('forgets an address once its last member is gone', async () => {
    set = await startReplicas(1, { maxConnectionsPerIp: CAP });
    const replica = set.replicas[0]!;
    const members = [await member(), await member(), await member({ localAddress: '127.0.0.2' })];
    expect(replica.addressCount).toBe(2);
    for (const client of members) client.close();
    await eventually(() => expect(replica.addressCount).toBe(0));
  });

  it('a forged X-Forwarded-For does not raise the cap when the proxy is not trusted', async () => {
    set = await startReplicas(1, { maxConnectionsPerIp: CAP });
    await member({ forwardedFor: '10.0.0.1' });
    await member({ forwardedFor: '10.0.0.2' });
    await member({ forwardedFor: '10.0.0.3' });
    await expect(member({ forwardedFor: '10.0.0.4' })).rejects.toMatchObject(refusedForCap);
  });

  it('20,000 rapid attempts from an address at its cap are refused, and the replica keeps serving', async () => {
    set = await startReplicas(1, { maxConnectionsPerIp: CAP });
    const [alice, bob] = [await member(), await member(), await member()];
    const statuses = await sendRawRequests({ port: set.replicas[0]!.port, request: upgradeRequest('GET', '/ws/lobby'), count: 20_000, concurrency: 50 });
    expect(statuses).toEqual({ '429': 20_000 });
    await alice!.say('after the storm');
    expect((await bob!.next('message')).text).toBe('after the storm');
    const fromElsewhere = await member({ localAddress: '127.0.0.2' });
    fromElsewhere.close();
  }, 120_000);
});

describe('the per-address cap behind a trusted proxy (TRUST_PROXY=1)', () => {
  it('counts by the rightmost X-Forwarded-For entry: two clients apart, one of them not helped by its own entries', async () => {
    set = await startReplicas(1, { maxConnectionsPerIp: CAP, trustProxy: true });
    for (let i = 0; i < CAP; i++) await member({ forwardedFor: '203.0.113.1' });
    for (let i = 0; i < CAP; i++) await member({ forwardedFor: '203.0.113.2' });
    await expect(member({ forwardedFor: '203.0.113.1' })).rejects.toMatchObject(refusedForCap);
    await expect(member({ forwardedFor: '198.51.100.7, 203.0.113.2' })).rejects.toMatchObject(refusedForCap);
    await member({ forwardedFor: '203.0.113.2, 203.0.113.3' });
  });

  it('the peer counts when the header is absent; an IPv4-mapped address is its IPv4 address; each IPv6 address counts alone', async () => {
    set = await startReplicas(1, { maxConnectionsPerIp: 1, trustProxy: true });
    await member();
    await expect(member()).rejects.toMatchObject({ status: 429 });
    await member({ forwardedFor: '192.0.2.1' });
    await expect(member({ forwardedFor: '::ffff:192.0.2.1' })).rejects.toMatchObject({ status: 429 });
    await member({ forwardedFor: '2001:db8::1' });
    await member({ forwardedFor: '2001:db8::2' });
    await expect(member({ forwardedFor: '2001:DB8::1' })).rejects.toMatchObject({ status: 429 });
    expect(set.replicas[0]!.addressCount).toBe(4);
  });
});

describe.skipIf(!denoAvailable())('the per-address cap on Deno', () => {
  it('refuses the 4th member of one address, admits another address, and one again after a close', async () => {
    const deno = await startDenoProcess('deno-caps', { MAX_CONNECTIONS_PER_IP: String(CAP) });
    try {
      const url = `ws://127.0.0.1:${deno.port}/ws/lobby`;
      const join = async (localAddress?: string) => {
        const client = await TestClient.connect(url, { localAddress });
        open.push(client);
        await client.next('welcome');
        return client;
      };
      const [alice] = [await join(), await join(), await join()];
      await expect(join()).rejects.toMatchObject(refusedForCap);
      await join('127.0.0.2');
      alice!.close();
      await eventually(() => join());
    } finally {
      await deno.process.stop();
    }
  }, 30_000);

  it('gives back the slot of a handshake the client reset right after sending it (Deno fires no event for it)', async () => {
    const deno = await startDenoProcess('deno-caps-reset', { MAX_CONNECTIONS_PER_IP: String(CAP) });
    try {
      await resetHandshake(deno.port);
      await resetHandshake(deno.port);
      const url = `ws://127.0.0.1:${deno.port}/ws/lobby`;
      const joinAll = async () => {
        const clients = [];
        try {
          for (let i = 0; i < CAP; i++) clients.push(await TestClient.join(url));
        } finally {
          for (const { client } of clients) client.close();
        }
      };
      await eventually(joinAll, 10_000);
    } finally {
      await deno.process.stop();
    }
  }, 30_000);
});

/** A good upgrade request on a raw socket, reset by the client as soon as it is written. */
function resetHandshake(port: number): Promise<void> {
  const request = ['GET /ws/lobby HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', '', ''].join('\r\n');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.on('connect', () => {
      socket.write(request);
      setImmediate(() => socket.resetAndDestroy());
    });
  });
}
