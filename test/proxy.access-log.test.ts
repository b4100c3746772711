import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { type Nginx, nginxAvailable, startNginx } from './support/nginx.ts';
import { type ReplicaSet, startReplicas } from './support/replicas.ts';

/** nginx's access log, as deploy/nginx-main.conf writes it: the path of each request, never its query, where tokens travel. */
describe.runIf(nginxAvailable())("nginx's access log", () => {
  let replicas: ReplicaSet;
  let nginx: Nginx;

  beforeAll(async () => {
    replicas = await startReplicas(1);
    nginx = await startNginx([replicas.replicas[0]!.port], { accessLog: true });
  });
  afterAll(async () => {
    await nginx?.stop();
    await replicas?.close();
  });

  it('shows the method, path and status of a request, and nothing of its query string', async () => {
    const secret = `tok-${Math.random().toString(36).slice(2)}`;
    const base = `http://127.0.0.1:${nginx.port}`;
    expect((await fetch(`${base}/healthz?token=${secret}`)).status).toBe(200);
    // Not an upgrade: refused, and logged like any other request.
    expect((await fetch(`${base}/ws/lobby?name=alice&token=${secret}`)).status).toBe(400);

    await eventually(() => {
      expect(nginx.process.logs).toContain('"GET /healthz HTTP/1.1" 200');
      expect(nginx.process.logs).toContain('"GET /ws/lobby HTTP/1.1" 400');
    });
    expect(nginx.process.logs).not.toContain(secret);
    expect(nginx.process.logs).not.toContain('alice');
  });
});
