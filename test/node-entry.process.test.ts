import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceProcess, freePort, freePortPair } from './support/service-process.ts';
import { TestClient } from './support/test-client.ts';

const started: ServiceProcess[] = [];
function start(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  const service = ServiceProcess.start(name, entry, env);
  started.push(service);
  return service;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

describe('npm start (src/node/main.ts) as a real process', () => {
  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['HISTORY_SIZE', '-5'],
    ['RATE_LIMIT', 'fast'],
    ['MAX_FRAME_BYTES', '1.5'],
    ['SEND_BUFFER_LIMIT', '1e9'],
    ['INSTANCE_ID', 'has space'],
    ['REDIS_URL', 'http://example.invalid'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s with one line naming it, and exits non-zero', async (name, value) => {
    const service = start('main', 'src/node/main.ts', { [name]: value });
    const { code } = await service.exited;
    expect(code).not.toBe(0);
    const lines = service.logs.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(lines[0]).toMatch(/expected/);
  });

  it('says which port is in use, in one line, instead of a stack trace', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const { port } = taken.address() as AddressInfo;
      const service = start('main', 'src/node/main.ts', { PORT: String(port), HOST: '127.0.0.1' });
      expect((await service.exited).code).toBe(2);
      expect(service.logs.trim()).toBe(`chat: 127.0.0.1:${port} is in use; set PORT (and HOST) to another`);
    } finally {
      taken.close();
    }
  });

  it('never echoes a REDIS_URL password', async () => {
    const service = start('main', 'src/node/main.ts', { REDIS_URL: 'ftp://user:s3cret-pw@host' });
    await service.exited;
    expect(service.logs).toContain('REDIS_URL');
    expect(service.logs).not.toContain('s3cret-pw');
  });

  it('on SIGTERM closes a connected member with 1012 and exits 0', async () => {
    const port = await freePort();
    const service = start('main', 'src/node/main.ts', { PORT: String(port), HOST: '127.0.0.1', INSTANCE_ID: 'proc-1' });
    await service.waitFor(/listening on/);
    const { client, welcome } = await TestClient.join(`ws://127.0.0.1:${port}/ws/lobby?name=alice`);
    expect(welcome.instance).toBe('proc-1');
    const sent = Date.now();
    service.child.kill('SIGTERM');
    expect((await client.closed).code).toBe(1012);
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(10_000);
  });
});

describe('npm run dev (src/node/dev.ts) as a real process', () => {
  it('starts two replicas joined by the in-memory broker, prints both URLs, and they chat', async () => {
    const port = await freePortPair();
    const dev = start('dev', 'src/node/dev.ts', { PORT: String(port), HOST: '127.0.0.1' });
    await dev.waitFor(new RegExp(`http://127\\.0\\.0\\.1:${port + 1}`));
    expect(dev.logs).toContain(`http://127.0.0.1:${port}`);

    const a = await TestClient.join(`ws://127.0.0.1:${port}/ws/lobby?name=alice`);
    const b = await TestClient.join(`ws://127.0.0.1:${port + 1}/ws/lobby?name=bob`);
    expect([a.welcome.instance, b.welcome.instance]).toEqual(['node-1', 'node-2']);
    const ack = await a.client.say('across');
    expect(await b.client.next('message')).toMatchObject({ id: ack.id, text: 'across' });
    await b.client.say('back');
    expect((await a.client.next('message')).text).toBe('back');

    dev.child.kill('SIGINT');
    expect((await a.client.closed).code).toBe(1012);
    expect((await dev.exited).code).toBe(0);
  });
});
