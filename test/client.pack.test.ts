import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicaProcess, type ReplicaProcess } from './support/replica-processes.ts';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;

/**
 * `npm pack` (which runs `prepare`, so the build), then the tarball in a fresh
 * project, as `chat-hub/client`: a Node script and `tsc --noEmit` use it.
 *
 * The project installs the tarball as a user would, with its dependencies
 * (the server's: the client itself needs none), from npm's cache where
 * `npm ci` left them, else from the registry.
 */
describe('npm pack: chat-hub/client in a fresh project', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-client-pack-'));
  const project = join(dir, 'app');
  let replica: ReplicaProcess;

  beforeAll(async () => {
    const [started] = await Promise.all([
      startReplicaProcess('pack-replica', {}),
      run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 16 << 20 }),
    ]);
    replica = started;
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack made no tarball in ${dir}`);
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', join(dir, tarball), '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: project, maxBuffer: 16 << 20 });
  }, 120_000);
  afterAll(async () => {
    await replica?.service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds only the built client (dist) and package.json/README, no TypeScript source', async () => {
    const { stdout } = await run('tar', ['-tzf', join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!)]);
    const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/client.js', 'dist/types/client/index.d.ts']));
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('a Node script imports chat-hub/client and two rooms talk through a real server', async () => {
    const ws = pathToFileURL(join(ROOT, 'node_modules/ws/wrapper.mjs')).href;
    writeFileSync(
      join(project, 'talk.mjs'),
      `import { connectRoom, ChatClientError } from 'chat-hub/client';
import { WebSocket } from ${JSON.stringify(ws)};
const base = process.env.BASE;
const alice = connectRoom(base, 'packed', { name: 'alice', WebSocket });
const bob = connectRoom(base, 'packed', { name: 'bob', WebSocket });
const got = new Promise((resolve) => bob.on('message', resolve));
await new Promise((resolve) => bob.on('status', (s) => s.state === 'live' && resolve()));
const ack = await alice.send('hello from a packed client');
const m = await got;
const bad = await alice.send(' ').catch((e) => e instanceof ChatClientError && e.code);
alice.close();
bob.close();
console.log(JSON.stringify({ text: m.text, from: m.from.name, same: m.id === ack.id, bad }));
`,
    );
    const { stdout } = await run('node', ['talk.mjs'], { cwd: project, env: { ...process.env, BASE: `http://127.0.0.1:${replica.port}` }, timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ text: 'hello from a packed client', from: 'alice', same: true, bad: 'bad_request' });
  }, 30_000);

  it('tsc --noEmit type-checks a file that uses its types (NodeNext and Bundler resolution, no DOM or Node types)', async () => {
    writeFileSync(
      join(project, 'check.ts'),
      `import { connectRoom, ChatClientError, type ChatRoom, type ChatMessage, type RoomStatus, type ConnectOptions, type MemberInfo, type WelcomeFrame } from 'chat-hub/client';
const options: ConnectOptions = { name: 'alice', token: async () => 'jwt', backoff: { initialMs: 100 } };
const room: ChatRoom = connectRoom('https://chat.example.com', 'lobby', options);
room.on('message', (m: ChatMessage) => m.text.toUpperCase());
room.on('members', (list: MemberInfo[], count: number) => list.length + count);
room.on('welcome', (w: WelcomeFrame) => w.instance);
room.on('status', (s: RoomStatus) => (s.state === 'live' ? s.instance : s.state === 'closed' ? s.reason : s.attempt));
// @ts-expect-error not an event
room.on('nope', () => {});
// @ts-expect-error send takes text
void room.send(42);
export const sent: Promise<{ id: string; ts: number }> = room.send('hi');
export const code: string = new ChatClientError('bad_request', 'x').code;
`,
    );
    const tsc = join(ROOT, 'node_modules/.bin/tsc');
    for (const [module, resolution] of [['NodeNext', 'NodeNext'], ['ESNext', 'Bundler']]) {
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { target: 'ES2022', module, moduleResolution: resolution, strict: true, noEmit: true, skipLibCheck: false, lib: ['ES2022'], types: [] },
          files: ['check.ts'],
        }),
      );
      const result = await run(tsc, ['-p', 'tsconfig.json'], { cwd: project }).then(
        () => 'ok',
        (e: { stdout?: string }) => e.stdout ?? String(e),
      );
      expect({ resolution, result }).toEqual({ resolution, result: 'ok' });
    }
    // And a misuse is caught: the types are the library's, not `any`.
    writeFileSync(join(project, 'wrong.ts'), `import { connectRoom } from 'chat-hub/client';\nconnectRoom('https://x', 'y').on('message', (m) => m.nope);\n`);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, lib: ['ES2022'], types: [] }, files: ['wrong.ts'] }),
    );
    const wrong = await run(tsc, ['-p', 'tsconfig.json'], { cwd: project }).then(
      () => '',
      (e: { stdout?: string }) => e.stdout ?? '',
    );
    expect(wrong).toMatch(/Property 'nope' does not exist on type 'ChatMessage'/);
  }, 60_000);
});
