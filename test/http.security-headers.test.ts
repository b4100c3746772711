import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { rawRequest } from './conformance/raw-http.ts';
import { securityHeaders } from '../routes/security-headers.ts';

let set: ReplicaSet;
beforeAll(async () => {
  set = await startReplicas(1);
});
afterAll(async () => {
  await set?.close();
});

/** A policy as directive → its sources. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(';').map((d) => {
      const [name, ...sources] = d.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

function expectSecurityHeaders(headers: Headers | Record<string, string>, port: number): void {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : headers[name]) ?? null;
  expect(get('x-content-type-options')).toBe('nosniff');
  expect(get('x-frame-options')).toBe('DENY');
  expect(get('referrer-policy')).toBe('no-referrer');
  const csp = directives(get('content-security-policy') ?? '');
  expect(csp.get('default-src')).toEqual(["'none'"]);
  expect(csp.get('script-src')).toEqual(["'self'"]);
  expect(csp.get('style-src')).toEqual(["'self'"]);
  expect(csp.get('connect-src')).toEqual(["'self'", `ws://127.0.0.1:${port}`, `wss://127.0.0.1:${port}`]);
  expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  expect(csp.get('base-uri')).toEqual(["'none'"]);
  expect(get('content-security-policy')).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
}

describe('every answer carries the security headers', () => {
  it.each([
    ['the page', '/', 200],
    ['its script', '/app.js', 200],
    ['its style', '/style.css', 200],
    ['a health check', '/healthz', 200],
    ['a path that is not there', '/nowhere', 404],
    ['the edge-only _headers file, which is not served', '/_headers', 404],
    ['/ws/x without an upgrade', '/ws/x', 400],
  ])('%s (%s)', async (_, path, status) => {
    const res = await fetch(set.httpUrl(0, path));
    expect(res.status).toBe(status);
    expectSecurityHeaders(res.headers, set.replicas[0]!.port);
  });

  it('an upgrade refused before it happens', async () => {
    const res = await rawRequest(set.replicas[0]!.port, 'GET', '/ws/x?name=%00', {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
    expect(res.status).toBe(400);
    expectSecurityHeaders(res.headers, set.replicas[0]!.port);
  });
});

it('a Host that would change the policy is left out of it', async () => {
  const app = new Hono().use(securityHeaders()).get('/', (c) => c.text('page'));
  const res = await app.request('/', { headers: { host: "evil; script-src *" } });
  const csp = directives(res.headers.get('content-security-policy')!);
  expect(csp.get('script-src')).toEqual(["'self'"]);
  expect(csp.get('connect-src')).toEqual(["'self'"]);
});

it("static/_headers gives Workers Assets the same headers, with connect-src 'self' alone", async () => {
  const file = readFileSync(new URL('../static/_headers', import.meta.url), 'utf8');
  const lines = file.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  expect(lines[0]).toBe('/*');
  const edge = new Map<string, string>(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));

  const node = new Map<string, string>();
  (await fetch(set.httpUrl(0, '/'))).headers.forEach((value, name) => node.set(name, value));
  for (const name of ['content-length', 'content-type', 'date', 'connection', 'keep-alive']) node.delete(name);
  const port = set.replicas[0]!.port;
  node.set('content-security-policy', node.get('content-security-policy')!.replace(` ws://127.0.0.1:${port} wss://127.0.0.1:${port}`, ''));
  expect(edge).toEqual(node);
});
