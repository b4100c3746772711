import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { TestClient } from './support/test-client.ts';

let set: ReplicaSet;
beforeAll(async () => {
  set = await startReplicas(1);
});
afterAll(async () => {
  await set?.close();
});

const wsBase = () => `ws://127.0.0.1:${set.replicas[0]!.port}`;

async function refusal(path: string): Promise<{ status: number; body: any }> {
  try {
    const client = await TestClient.connect(`${wsBase()}${path}`);
    client.close();
  } catch (err: any) {
    if (err.status) return { status: err.status, body: err.body };
    throw err;
  }
  throw new Error(`${path} was upgraded`);
}

/** One HTTP/1.1 request with exactly these headers (fetch would not send an upgrade). */
function rawRequest(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: set.replicas[0]!.port, method, path, headers });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers as Record<string, string>, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      reject(new Error(`upgraded with ${res.statusCode}`));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('refused before the upgrade, with the JSON error body', () => {
  it.each([
    ['a room with a space', '/ws/bad%20room'],
    ['a room with a slash, once percent-decoded', '/ws/a%2Fb'],
    ['a room with a non-ASCII letter', '/ws/caf%C3%A9'],
    ['a room of 65 characters', `/ws/${'r'.repeat(65)}`],
    ['a name of 33 characters', `/ws/lobby?name=${'n'.repeat(33)}`],
  ])('400 bad_request for %s', async (_what, path) => {
    expect(await refusal(path)).toEqual({ status: 400, body: { error: { code: 'bad_request', message: expect.any(String) } } });
  });

  it.each([
    ['a plain GET', {}],
    ['Upgrade without Connection: upgrade', { upgrade: 'websocket' }],
    ['no Sec-WebSocket-Key', { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13' }],
    ['a bad Sec-WebSocket-Key', { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'short' }],
    ['version 8', { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '8', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }],
  ])('400 bad_request, with the JSON body, for %s: not a WebSocket upgrade', async (_what, headers) => {
    const res = await rawRequest('GET', '/ws/lobby', headers);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(/WebSocket/) } });
  });

  it('400 bad_request for /ws/ without a room, upgrade or not', async () => {
    expect(await refusal('/ws/')).toEqual({ status: 400, body: { error: { code: 'bad_request', message: expect.any(String) } } });
    const res = await fetch(set.httpUrl(0, '/ws/'));
    expect([res.status, (await res.json()).error.code]).toEqual([400, 'bad_request']);
  });

  it('404 not_found, with the JSON body, for an upgrade that is not a GET', async () => {
    const res = await rawRequest('POST', '/ws/lobby', { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'not_found' } });
  });

  it('503 unavailable while the broker is unreachable, and readiness says so', async () => {
    set.bus.setAvailable(false);
    try {
      expect(await refusal('/ws/lobby')).toEqual({ status: 503, body: { error: { code: 'unavailable', message: expect.any(String) } } });
      const ready = await fetch(set.httpUrl(0, '/readyz'));
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ error: { code: 'unavailable' } });
      const health = await fetch(set.httpUrl(0, '/healthz'));
      expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    } finally {
      set.bus.setAvailable(true);
    }
    const ready = await fetch(set.httpUrl(0, '/readyz'));
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('503 overloaded at the connection cap', async () => {
    const capped = await startReplicas(1, { maxConnections: 1 });
    try {
      const { client } = await TestClient.join(capped.wsUrl(0, 'lobby'));
      await expect(TestClient.connect(capped.wsUrl(0, 'lobby'))).rejects.toMatchObject({
        status: 503,
        body: { error: { code: 'overloaded' } },
      });
      client.close();
      await client.closed;
    } finally {
      await capped.close();
    }
  });
});

describe('accepted', () => {
  it('a percent-encoded room that decodes to a good name, and names counted in code points', async () => {
    const name = '😀'.repeat(32);
    const { client, welcome } = await TestClient.join(`${wsBase()}/ws/ok%2Dname?name=${encodeURIComponent(name)}`);
    expect(welcome.room).toBe('ok-name');
    expect(welcome.you.name).toBe(name);
    client.close();
  });

  it('a name of only white space, as anon', async () => {
    const { client, welcome } = await TestClient.join(`${wsBase()}/ws/lobby?name=%20%09`);
    expect(welcome.you.name).toMatch(/^anon-[a-z]{4}$/);
    client.close();
  });
});

describe('HTTP', () => {
  it('serves the chat page and its module at /', async () => {
    const page = await fetch(set.httpUrl(0, '/'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('role="log"');
    expect(html).toContain('/app.js');
    const script = await fetch(set.httpUrl(0, '/app.js'));
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
  });

  it('answers an unknown path with 404 and the JSON error body', async () => {
    const res = await fetch(set.httpUrl(0, '/nope'));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
