import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { TestClient } from './support/test-client.ts';
import { createApp } from '../routes/app.ts';
import { createErrorHandler } from '../routes/refusal.ts';
import { metricsAccess } from '../routes/metrics-access.ts';
import { createMetrics } from '../src/node/metrics.ts';
import { createLogger } from '../src/server/logger.ts';
import { parseConfig } from '../src/config/config.ts';

let set: ReplicaSet;
beforeAll(async () => {
  set = await startReplicas(2);
});
afterAll(async () => {
  await set?.close();
});

const silentLog = createLogger({ ...parseConfig({}, { instanceId: 'test' }), logLevel: 'silent' });

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in metrics`);
  return Number(line.slice(name.length + 1));
}

it('exports connections, rooms, messages received and delivered, publish latency, broker up and process metrics', async () => {
  const alice = await TestClient.join(set.wsUrl(0, 'lobby', { name: 'alice' }));
  const bob = await TestClient.join(set.wsUrl(0, 'lobby', { name: 'bob' }));
  const carol = await TestClient.join(set.wsUrl(1, 'lobby', { name: 'carol' }));
  await alice.client.say('one');
  await bob.client.next('message');
  await carol.client.next('message');

  const res = await fetch(set.httpUrl(0, '/metrics'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/plain/);
  const text = await res.text();
  expect(sample(text, 'chat_connections')).toBe(2);
  expect(sample(text, 'chat_rooms')).toBe(1);
  expect(sample(text, 'chat_messages_received_total')).toBe(1);
  expect(sample(text, 'chat_messages_delivered_total')).toBe(1);
  expect(sample(text, 'chat_publish_duration_seconds_count')).toBe(1);
  expect(sample(text, 'chat_broker_up')).toBe(1);
  expect(text).toContain('process_cpu_user_seconds_total');

  const other = await (await fetch(set.httpUrl(1, '/metrics'))).text();
  expect(sample(other, 'chat_messages_received_total')).toBe(0);
  expect(sample(other, 'chat_messages_delivered_total')).toBe(1);

  set.bus.setAvailable(false);
  expect(sample(await (await fetch(set.httpUrl(0, '/metrics'))).text(), 'chat_broker_up')).toBe(0);
  set.bus.setAvailable(true);
  for (const c of [alice, bob, carol]) c.client.close();
});

it('does not export the Node version', async () => {
  const text = await (await fetch(set.httpUrl(0, '/metrics'))).text();
  expect(text).not.toContain('nodejs_version_info');
  expect(text).not.toContain(process.version);
});

describe('with METRICS_TOKEN set', () => {
  const token = 'a-metrics-token-of-32-characters';
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const metrics = createMetrics({ token });
    const app = createApp({ gateway: { isReady: () => true, connect: () => new Response() }, log: silentLog, extend: metrics.mount });
    server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it.each([
    ['no Authorization', {}],
    ['a wrong token', { authorization: 'Bearer a-metrics-token-of-32-charactersX' }],
    ['the token in another scheme', { authorization: `Basic ${token}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('%s is 401 unauthorized, loopback or not', async (_, headers) => {
    const res = await fetch(url, { headers });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await res.json()).error.code).toBe('unauthorized');
  });

  it.each(['Bearer', 'bearer', 'BEARER'])('the token as %s is 200', async (scheme) => {
    const res = await fetch(url, { headers: { authorization: `${scheme} ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('chat_messages_received_total');
  });
});

describe('without METRICS_TOKEN, only loopback peers', () => {
  /** An address of this machine that is not loopback, to be a peer that is not. */
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
  if (!external) console.log('skipping the non-loopback peer over TCP: this machine has no non-internal IPv4 address');

  // The request goes to 127.0.0.1 from this machine's other address, so the
  // replica sees a peer that is not loopback while nothing leaves loopback.
  it.skipIf(!external)('a peer on a non-loopback address is 403 forbidden, whatever X-Forwarded-For says', async () => {
    const open = await startReplicas(1);
    try {
      const res = await getFrom(external!, open.httpUrl(0, '/metrics'), { 'x-forwarded-for': '127.0.0.1' });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).error.code).toBe('forbidden');
      expect((await fetch(open.httpUrl(0, '/metrics'))).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it.each([
    ['127.0.0.1', 200],
    ['127.8.9.10', 200],
    ['::1', 200],
    ['::ffff:127.0.0.1', 200],
    ['192.0.2.7', 403],
    ['::ffff:192.0.2.7', 403],
    ['fd00::1', 403],
    ['::', 403],
    [undefined, 403],
  ])('the peer %s gets %i', async (peer, status) => {
    const app = new Hono()
      .onError(createErrorHandler(silentLog))
      .get('/metrics', metricsAccess({ token: undefined, peerAddress: () => peer }), (c) => c.text('ok'));
    expect((await app.request('/metrics')).status).toBe(status);
  });
});

/** A GET sent from the local address `from`. */
function getFrom(from: string, url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress: from, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}
