import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServiceProcess, freePort, freePortPair } from './support/service-process.ts';
import { TestClient } from './support/test-client.ts';
import { redisAvailable } from './support/redis-server.ts';
import { BAD_KEY_SETTINGS } from './conformance/bad-key-settings.ts';

const started: ServiceProcess[] = [];
function start(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  const service = ServiceProcess.start(name, entry, env);
  started.push(service);
  return service;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

/** The replica from its sources through tsx, as the tests and `npm run dev` run it, and built, as `npm start` and the image run it. */
const MAIN_ENTRIES = [
  { entry: 'src/node/main.ts', args: ['--import', 'tsx', 'src/node/main.ts'] },
  { entry: 'dist/server/main.js', args: ['dist/server/main.js'] },
];

describe.each(MAIN_ENTRIES)('the replica ($entry) as a real process', ({ entry, args }) => {
  function startMain(env: Record<string, string>): ServiceProcess {
    const service = ServiceProcess.run('main', process.execPath, args, { LOG_LEVEL: 'info', ...env });
    started.push(service);
    return service;
  }

  beforeAll(() => {
    // Fails rather than skips: CI builds it (npm ci runs prepare), and a missing build is a broken checkout.
    if (!existsSync(new URL(`../${entry}`, import.meta.url))) throw new Error(`${entry} is missing: run npm run build`);
  });

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
    const service = startMain({ [name]: value });
    const { code } = await service.exited;
    expect(code).not.toBe(0);
    const lines = service.logs.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(lines[0]).toMatch(/expected/);
  });

  it.each(BAD_KEY_SETTINGS)('refuses $what in one line naming it, with exit code 2, never showing the secret', async ({ env, names, secret }) => {
    const service = startMain({ PORT: '0', HOST: '127.0.0.1', ...env });
    expect((await service.exited).code).toBe(2);
    const lines = service.logs.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^chat: .*${names}`));
    expect(service.logs).not.toContain(secret);
  });

  it('says which port is in use, in one line, instead of a stack trace', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const { port } = taken.address() as AddressInfo;
      const service = startMain({ PORT: String(port), HOST: '127.0.0.1' });
      expect((await service.exited).code).toBe(2);
      expect(service.logs.trim()).toBe(`chat: 127.0.0.1:${port} is in use; set PORT (and HOST) to another`);
    } finally {
      taken.close();
    }
  });

  it('says that a HOST which does not resolve is not a known host, in one line with exit code 2, instead of a stack trace', async () => {
    // .invalid never resolves (RFC 6761); without a resolver the lookup fails with EAI_AGAIN instead.
    const service = startMain({ PORT: '0', HOST: 'nosuchhost.invalid' });
    expect((await service.exited).code).toBe(2);
    expect(service.logs.trim()).toMatch(
      /^chat: HOST="nosuchhost\.invalid" (is not a known host name \(ENOTFOUND\)|could not be looked up now \(EAI_AGAIN\)); set HOST to a name or address of this machine$/,
    );
  });

  it('never echoes a REDIS_URL password', async () => {
    const service = startMain({ REDIS_URL: 'ftp://user:s3cret-pw@host' });
    await service.exited;
    expect(service.logs).toContain('REDIS_URL');
    expect(service.logs).not.toContain('s3cret-pw');
  });

  it('on SIGTERM closes a connected member with 1012 and exits 0', async () => {
    const port = await freePort();
    const service = startMain({ PORT: String(port), HOST: '127.0.0.1', INSTANCE_ID: 'proc-1' });
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
  it.runIf(redisAvailable())('starts redis-server and two replica processes that chat, with prefixed logs, and stops all on SIGINT', async () => {
    const port = await freePortPair();
    const dev = start('dev', 'src/node/dev.ts', { PORT: String(port), HOST: '127.0.0.1' });
    const [, redisPort] = await dev.waitFor(/joined by Redis on 127\.0\.0\.1:(\d+)/, 60_000);
    expect(dev.logs).toMatch(/^\[redis\] .*Ready to accept connections/m);
    expect(dev.logs).toMatch(/^\[node-1\] \{.*"instance":"node-1"/m);
    expect(dev.logs).toMatch(/^\[node-2\] \{.*"instance":"node-2"/m);
    await chatAcross(port);

    dev.signal('SIGINT');
    expect((await dev.exited).code).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port + 1}/healthz`)).rejects.toThrow();
    expect(await portOpen(Number(redisPort))).toBe(false);
  }, 90_000);

  it('falls back to the in-memory pair in one process, saying so in one line, without redis-server', async () => {
    const port = await freePortPair();
    const dev = start('dev', 'src/node/dev.ts', { PORT: String(port), HOST: '127.0.0.1', REDIS_SERVER: '/nonexistent/redis-server' });
    await dev.waitFor(new RegExp(`http://127\\.0\\.0\\.1:${port + 1}`), 60_000);
    expect(dev.logs.split('\n').filter((l) => l.includes('is not on PATH'))).toHaveLength(1);
    expect(dev.logs).toContain('apt-get install redis-server');
    expect(dev.logs).toContain(`http://127.0.0.1:${port}`);
    await chatAcross(port);

    dev.signal('SIGINT');
    expect((await dev.exited).code).toBe(0);
  }, 90_000);
});

async function chatAcross(port: number): Promise<void> {
  const a = await TestClient.join(`ws://127.0.0.1:${port}/ws/lobby?name=alice`);
  const b = await TestClient.join(`ws://127.0.0.1:${port + 1}/ws/lobby?name=bob`);
  expect([a.welcome.instance, b.welcome.instance]).toEqual(['node-1', 'node-2']);
  const ack = await a.client.say('across');
  expect(await b.client.next('message')).toMatchObject({ id: ack.id, text: 'across' });
  await b.client.say('back');
  expect((await a.client.next('message')).text).toBe('back');
  a.client.close();
  b.client.close();
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
