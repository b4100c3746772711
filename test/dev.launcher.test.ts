import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { redisAvailable } from './support/redis-server.ts';
import { ServiceProcess, freePortPair } from './support/service-process.ts';
import { TestClient } from './support/test-client.ts';

/**
 * `npm run dev` as a user runs it, in a process group of its own: whatever it
 * started is in that group, so "nothing left" is checked by the group's pids,
 * and "no directory left" in a TMPDIR of this file's own.
 */

/** A start on two busy cores: npm, tsx, redis-server and replicas each compile or load. */
const READY_MS = 90_000;
const TEST_MS = 180_000;

let tmp: string;
const started: ServiceProcess[] = [];
const holders: Server[] = [];

beforeAll(() => {
  // One for the whole file, so tsx's cache in it is warm after the first start.
  tmp = mkdtempSync(join(tmpdir(), 'chat-dev-launcher-test-'));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  await Promise.all(holders.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function dev(args: string[], env: Record<string, string>): ServiceProcess {
  const service = ServiceProcess.run('npm run dev', 'npm', ['run', 'dev', ...(args.length ? ['--', ...args] : [])], {
    HOST: '127.0.0.1',
    TMPDIR: tmp,
    LOG_LEVEL: 'info',
    ...env,
  });
  started.push(service);
  return service;
}

/** Every process still in the launcher's group (npm leads it, so the group's id is npm's pid). */
function groupPids(service: ServiceProcess): number[] {
  const { stdout } = spawnSync('pgrep', ['-g', String(service.child.pid)], { encoding: 'utf8' });
  return stdout.split('\n').filter(Boolean).map(Number);
}

function leftDirs(): string[] {
  return readdirSync(tmp).filter((name) => name.startsWith('chat-dev-redis-'));
}

/** Ends with nothing of it running and no directory of its left. */
async function expectNothingLeft(service: ServiceProcess, pidsSeen: number[] = []): Promise<void> {
  await service.exited;
  await eventually(() => expect(groupPids(service)).toEqual([]), 15_000);
  for (const pid of pidsSeen) expect(alive(pid), `pid ${pid} is still running`).toBe(false);
  expect(leftDirs()).toEqual([]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function holdPort(port: number): Promise<void> {
  const server = createServer().listen(port, '127.0.0.1');
  holders.push(server);
  await once(server, 'listening');
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`)).ok;
  } catch {
    return false;
  }
}

/**
 * Ctrl-C reaches npm as well, which then ends itself by SIGINT as a shell
 * expects; the launcher under it stopped as asked, not as on a failure.
 */
async function expectStoppedByCtrlC(service: ServiceProcess): Promise<void> {
  const { code, signal } = await service.exited;
  expect(code === 0 || signal === 'SIGINT', `exited ${JSON.stringify({ code, signal })}`).toBe(true);
  expect(service.logs).not.toMatch(/stopping everything it started/);
}

/** The launcher's own line about what went wrong, checked to be the only one of its kind. */
function failureLine(service: ServiceProcess): string {
  const lines = service.logs.split('\n').filter((l) => l.startsWith('[dev] ') && !l.startsWith('[dev] This Redis'));
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

/** The replicas' URLs from its summary. */
async function replicaUrls(service: ServiceProcess, count: number): Promise<string[]> {
  await service.waitFor(/joined by Redis on 127\.0\.0\.1:\d+[^\n]*\n(\s+node-\d+: \S+\n)+/, READY_MS);
  const urls = [...service.logs.matchAll(/^\s+node-(\d+): (http\S+)$/gm)].map((m) => m[2]!);
  expect(urls).toHaveLength(count);
  return urls;
}

/** The launcher itself: the parent of the redis-server it started. */
function launcherPid(service: ServiceProcess): number {
  const redis = spawnSync('pgrep', ['-g', String(service.child.pid), '-x', 'redis-server'], { encoding: 'utf8' }).stdout.trim();
  expect(redis).toMatch(/^\d+$/);
  return Number(spawnSync('ps', ['-o', 'ppid=', '-p', redis], { encoding: 'utf8' }).stdout.trim());
}

describe('npm run dev, refusing what it cannot run', () => {
  it.each([
    [['--replicas', '17'], /--replicas "17" is not valid: expected a whole number from 1 to 16/],
    [['--fast'], /unknown option "--fast"/],
  ])('%j: says why, prints the usage line, and exits 2', async (args, why) => {
    const service = dev(args, { PORT: '0' });
    expect((await service.exited).code).toBe(2);
    expect(service.logs).toMatch(why);
    expect(service.logs).toMatch(/^usage: npm run dev -- \[--keep\[=DIR\]\] \[--replicas N\]/m);
    await expectNothingLeft(service);
  }, TEST_MS);
});

describe.runIf(redisAvailable())('npm run dev with redis-server', () => {
  it('with PORT taken, exits non-zero with one line naming the port and a free PORT, leaving nothing', async () => {
    const port = await freePortPair();
    await holdPort(port);
    const service = dev([], { PORT: String(port) });
    expect((await service.exited).code).not.toBe(0);
    const line = failureLine(service);
    expect(line).toMatch(new RegExp(`^\\[dev\\] port ${port} on 127\\.0\\.0\\.1 is in use: set PORT=\\d+ \\(free now\\), or PORT=0 to pick free ports \\(node-1 uses PORT, node-2 PORT\\+1\\)$`));
    await expectNothingLeft(service);
  }, TEST_MS);

  it('with PORT+1 taken, exits non-zero with one line naming it, and node-1 does not serve PORT', async () => {
    const port = await freePortPair();
    await holdPort(port + 1);
    const service = dev([], { PORT: String(port) });
    expect((await service.exited).code).not.toBe(0);
    expect(failureLine(service)).toMatch(new RegExp(`^\\[dev\\] port ${port + 1} on 127\\.0\\.0\\.1 is in use: set PORT=\\d+`));
    await expectNothingLeft(service);
    expect(await healthy(`http://127.0.0.1:${port}`)).toBe(false);
  }, TEST_MS);

  it('when redis-server fails to start, exits non-zero saying so, and removes its directory', async () => {
    // Answers --version as redis-server does, then fails the start itself.
    const failing = join(tmp, 'failing-redis-server');
    writeFileSync(failing, '#!/bin/sh\nif [ "$1" = --version ]; then exec redis-server --version; fi\necho "cannot start: a test made it fail" >&2\nexit 3\n');
    chmodSync(failing, 0o755);
    const service = dev([], { PORT: String(await freePortPair()), REDIS_SERVER: failing });
    expect((await service.exited).code).not.toBe(0);
    expect(failureLine(service)).toBe('[dev] redis exited with code 3 before it was ready: stopping everything it started');
    // Its own reason first, then the launcher's line.
    expect(service.logs.indexOf('[redis] cannot start: a test made it fail')).toBeGreaterThan(-1);
    expect(service.logs.indexOf('[redis] cannot start')).toBeLessThan(service.logs.indexOf('[dev] redis exited'));
    await expectNothingLeft(service);
  }, TEST_MS);

  it('when a replica\'s broker never connects, says so after 30 s instead of listing it, and stops everything', async () => {
    // Says it is ready, as redis-server does, but listens on nothing: the replicas start, their broker does not.
    const silent = join(tmp, 'silent-redis-server');
    writeFileSync(silent, '#!/bin/sh\nif [ "$1" = --version ]; then exec redis-server --version; fi\necho "Ready to accept connections"\nexec sleep 600\n');
    chmodSync(silent, 0o755);
    const service = dev([], { PORT: String(await freePortPair()), REDIS_SERVER: silent });
    expect((await service.exited).code).not.toBe(0);
    expect(failureLine(service)).toMatch(/^\[dev\] node-[12] listened on http:\/\/127\.0\.0\.1:\d+ but its broker was not ready within 30 s \(\/readyz: 503\): stopping everything it started$/);
    expect(service.logs).not.toMatch(/joined by Redis/);
    await expectNothingLeft(service);
  }, TEST_MS);

  it('when a replica dies, stops the other and Redis, exits non-zero, and removes its directory', async () => {
    const service = dev([], { PORT: String(await freePortPair()) });
    const [first] = await replicaUrls(service, 2);
    const pids = groupPids(service);
    const node2 = spawnSync('pgrep', ['-g', String(service.child.pid), '-f', 'src/node/main.ts'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(node2).toHaveLength(2);
    process.kill(Number(node2[1]), 'SIGKILL');

    expect((await service.exited).code).not.toBe(0);
    expect(failureLine(service)).toMatch(/^\[dev\] node-[12] was ended by SIGKILL: stopping everything it started$/);
    await expectNothingLeft(service, pids);
    expect(await healthy(first!)).toBe(false);
  }, TEST_MS);

  it('PORT=0 --replicas 3: three distinct free ports, each serving /healthz and ready when listed; SIGINT (Ctrl-C) stops everything', async () => {
    const service = dev(['--replicas', '3'], { PORT: '0' });
    const urls = await replicaUrls(service, 3);
    const ports = urls.map((u) => Number(new URL(u).port));
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) expect(port).toBeGreaterThan(1024);
    for (const url of urls) expect(await healthy(url)).toBe(true);
    // Listed only once its broker is connected: a page opened at once gets no 503.
    for (const url of urls) expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const firstLines = service.logs.split('\n').filter((l) => !l.startsWith('>') && l.trim() !== '');
    expect(firstLines[0]).toBe('[dev] This Redis is throwaway: every room is gone when npm run dev stops. To keep rooms across restarts: npm run dev -- --keep (kept in .dev-data/).');
    const pids = groupPids(service);

    // As Ctrl-C in a terminal does: to the whole foreground group.
    process.kill(-service.child.pid!, 'SIGINT');
    await expectStoppedByCtrlC(service);
    expect(service.logs).toContain('[dev] SIGINT: stopping the replicas, then Redis');
    await expectNothingLeft(service, pids);
    for (const url of urls) expect(await healthy(url)).toBe(false);
  }, TEST_MS);

  it('SIGTERM to the launcher stops everything and exits 0', async () => {
    const service = dev([], { PORT: '0' });
    const urls = await replicaUrls(service, 2);
    const pids = groupPids(service);
    process.kill(launcherPid(service), 'SIGTERM');
    expect((await service.exited).code).toBe(0);
    expect(service.logs).toContain('[dev] SIGTERM: stopping the replicas, then Redis');
    await expectNothingLeft(service, pids);
    for (const url of urls) expect(await healthy(url)).toBe(false);
  }, TEST_MS);

  it('SIGTERM to the npm process (a supervisor\'s stop) stops everything', async () => {
    const service = dev([], { PORT: '0' });
    const urls = await replicaUrls(service, 2);
    const pids = groupPids(service);
    service.signal('SIGTERM');
    await expectNothingLeft(service, pids);
    for (const url of urls) expect(await healthy(url)).toBe(false);
  }, TEST_MS);

  it('SIGHUP (the terminal closed) stops everything', async () => {
    const service = dev([], { PORT: '0' });
    await replicaUrls(service, 2);
    const pids = groupPids(service);
    process.kill(-service.child.pid!, 'SIGHUP');
    await expectNothingLeft(service, pids);
  }, TEST_MS);

  it('--keep=DIR keeps a room\'s history across a restart', async () => {
    const kept = join(tmp, 'kept');
    const first = dev([`--keep=${kept}`], { PORT: '0' });
    const [url] = await replicaUrls(first, 2);
    expect(first.logs).toContain(`[dev] --keep: Redis keeps rooms in ${kept} (an append-only file)`);
    const { client } = await TestClient.join(`${url!.replace('http', 'ws')}/ws/kept-room?name=alice`);
    const ack = await client.say('still here after a restart');
    client.close();
    process.kill(launcherPid(first), 'SIGTERM');
    await expectNothingLeft(first);
    expect(existsSync(join(kept, 'launcher.pid'))).toBe(false);

    const second = dev([`--keep=${kept}`], { PORT: '0' });
    const [again] = await replicaUrls(second, 2);
    // The launcher lists a replica once its /readyz says its broker is connected, so no 503 here.
    const res = await fetch(`${again}/rooms/kept-room/history`);
    const history = await res.json();
    expect(res.status, JSON.stringify(history)).toBe(200);
    expect(history.messages).toEqual([expect.objectContaining({ id: ack.id, text: 'still here after a restart' })]);
  }, TEST_MS);
});

describe('npm run dev without redis-server', () => {
  it('PORT=0 --replicas 3 runs three in-memory replicas on distinct ports; --keep is refused', async () => {
    const service = dev(['--replicas', '3'], { PORT: '0', REDIS_SERVER: '/nonexistent/redis-server' });
    await service.waitFor(/3 replicas in one process[^\n]*\n(\s+node-\d+: \S+\n){3}/, READY_MS);
    const urls = [...service.logs.matchAll(/^\s+node-\d+: (http\S+)$/gm)].map((m) => m[1]!);
    expect(new Set(urls.map((u) => new URL(u).port)).size).toBe(3);
    for (const url of urls) expect(await healthy(url)).toBe(true);
    process.kill(-service.child.pid!, 'SIGINT');
    await expectStoppedByCtrlC(service);
    await expectNothingLeft(service);

    const keep = dev(['--keep'], { PORT: '0', REDIS_SERVER: '/nonexistent/redis-server' });
    expect((await keep.exited).code).toBe(2);
    expect(keep.logs).toContain('[dev] --keep needs redis-server, and /nonexistent/redis-server is not on PATH');
  }, TEST_MS);
});
