import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServiceProcess, freePort } from './support/service-process.ts';
import { TestClient } from './support/test-client.ts';

/**
 * `npm start` as users and supervisors run it: the built server (dist/server,
 * `npm run build`) on plain Node, under npm. The built server's own cases
 * (bad settings, signals, exit codes) are in node-entry.process.test.ts.
 */
const ROOT = new URL('..', import.meta.url).pathname;
const BUILT = ['dist/server/main.js', 'dist/server/token-cli.js'];

const started: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

beforeAll(() => {
  // Fails rather than skips: CI builds it (npm ci runs prepare), and a missing build is a broken checkout.
  for (const file of BUILT) if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing: run npm run build`);
});

describe('npm start, built', () => {
  it('under npm: a SIGTERM to the npm process reaches the server, which closes members with 1012 and exits 0, and npm with it', async () => {
    const port = await freePort();
    const npm = ServiceProcess.run('npm start', 'npm', ['start'], { PORT: String(port), HOST: '127.0.0.1', INSTANCE_ID: 'built-1', LOG_LEVEL: 'info' });
    started.push(npm);
    await npm.waitFor(/listening on/);
    const { client, welcome } = await TestClient.join(`ws://127.0.0.1:${port}/ws/lobby?name=alice`);
    expect(welcome.instance).toBe('built-1');

    // As a supervisor or `kill` would: to npm's pid only, not its process group.
    npm.signal('SIGTERM');
    // npm exits first when the signal stops short of the server (it killed only a shell), so this fails at once then.
    expect(await npm.exited).toEqual({ code: 0, signal: null });
    expect((await client.closed).code).toBe(1012);
    expect(npm.logs).toContain('shutting down');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('without a build, says so in one line and exits 1', async () => {
    // A checkout of package.json and the launcher alone: the real dist/ stays for the tests running beside this one.
    const dir = mkdtempSync(join(tmpdir(), 'chat-no-build-'));
    try {
      mkdirSync(join(dir, 'scripts'));
      copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      copyFileSync(join(ROOT, 'scripts/run-built.js'), join(dir, 'scripts/run-built.js'));
      const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile('npm', ['start'], { cwd: dir }, (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }));
      });
      expect(run).toEqual({ code: 1, stderr: 'chat: dist/server/main.js is missing; run npm run build\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(BUILT)('%s imports only Node built-ins and packages in "dependencies", so it runs from a production install', (file) => {
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const source = readFileSync(join(ROOT, file), 'utf8');
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm)].map((m) => (m[1] ?? m[2])!);
    expect(specifiers.length).toBeGreaterThan(0);
    const packageOf = (s: string) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/');
    const outside = specifiers.filter((s) => !s.startsWith('node:') && !builtinModules.includes(s) && !(packageOf(s) in dependencies));
    expect(outside).toEqual([]);
  });
});
