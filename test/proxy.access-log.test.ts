import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { type ReplicasBehindNginx, nginxAvailable, startReplicasBehindNginx } from './support/nginx.ts';

/** nginx's access log, as deploy/nginx-main.conf writes it: the path of each request, never its query, where tokens travel. */
describe.runIf(nginxAvailable())("nginx's access log", () => {
  let proxied: ReplicasBehindNginx;

  beforeAll(async () => {
    proxied = await startReplicasBehindNginx(1, {}, { accessLog: true });
  });
  afterAll(async () => {
    await proxied?.stop();
  });

  it('shows the method, path and status of a request, and nothing of its query string', async () => {
    const secret = `tok-${Math.random().toString(36).slice(2)}`;
    const base = `http://127.0.0.1:${proxied.nginx.port}`;
    const logs = () => proxied.nginx.process.logs;
    expect((await fetch(`${base}/healthz?token=${secret}`)).status).toBe(200);
    // Not an upgrade: refused, and logged like any other request.
    expect((await fetch(`${base}/ws/lobby?name=alice&token=${secret}`)).status).toBe(400);

    await eventually(() => {
      expect(logs()).toContain('"GET /healthz HTTP/1.1" 200');
      expect(logs()).toContain('"GET /ws/lobby HTTP/1.1" 400');
    });
    expect(logs()).not.toContain(secret);
    expect(logs()).not.toContain('alice');
  });
});
