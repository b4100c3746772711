/**
 * What one idle member costs a replica: resident memory and server CPU per
 * connect, on Node or on Deno, over a Redis of its own.
 *
 *   npx tsx scripts/connection-memory.ts [--runtime node|deno] [--n 10000] [--room-size 10] [--snapshot] [--cpu-prof <dir>]
 *
 * Starts redis-server on a free loopback port, one replica process (with its
 * inspector on), and opens N WebSockets from this process (rooms of
 * --room-size), each waiting for its welcome. Reports the replica's VmRSS
 * growth per member (/proc/<pid>/status, after a full GC through the
 * inspector before and after; `…BeforeGc` is the growth without the second
 * GC) and its user+system CPU (/proc/<pid>/stat) spent while they connected,
 * divided by N. With --snapshot, it takes a heap snapshot before the members
 * and another once they are idle, and lists what grew, by constructor, per
 * member. With --cpu-prof <dir>, Node writes a CPU profile of the whole run there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { freePort } from '../bench/free-port.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'node' },
    n: { type: 'string', default: '10000' },
    'room-size': { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '50' },
    snapshot: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    top: { type: 'string', default: '25' },
  },
});
const N = Number(values.n);
const ROOM_SIZE = Number(values['room-size']);
const CONCURRENCY = Number(values.concurrency);
const CLOCK_TICKS = 100;
/** The replica's inspector, for a full GC before each RSS reading and for heap snapshots. */
let inspectPort = 0;


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(command: string, args: string[], env: Record<string, string>, cwd = ROOT): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

async function waitFor(what: () => boolean, ms: number, label: string): Promise<void> {
  const until = Date.now() + ms;
  while (!what()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${label}`);
    await sleep(50);
  }
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]);
}

/** User + system CPU of the process, in µs. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

function openMember(port: number, i: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/room-${Math.floor(i / ROOM_SIZE)}?name=m${i}`);
    ws.once('message', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

async function openAll(port: number, from: number, count: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        sockets[i] = await openMember(port, from + i);
      }
    }),
  );
  return sockets;
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close();
        }),
    ),
  );
}

interface Node {
  type: string;
  name: string;
  selfSize: number;
}

/** Counts a V8 heap snapshot's objects by constructor (or by type for strings, code, closures' contexts). */
function countSnapshot(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const meta = snap.snapshot.meta;
  const fields: string[] = meta.node_fields;
  const types: string[] = meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const nodes: number[] = snap.nodes;
  const strings: string[] = snap.strings;
  const counts = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < nodes.length; i += width) {
    const node: Node = { type: types[nodes[i + typeAt]!]!, name: strings[nodes[i + nameAt]!]!, selfSize: nodes[i + sizeAt]! };
    const key = node.type === 'object' || node.type === 'closure' || node.type === 'native' ? `${node.type}:${node.name}` : node.type;
    const entry = counts.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += node.selfSize;
    counts.set(key, entry);
  }
  return counts;
}

/** Calls the replica's inspector: a full GC, or a heap snapshot's text. */
async function inspector(port: number, what: 'gc' | 'snapshot'): Promise<string> {
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(target!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const chunks: string[] = [];
  let id = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<void>((resolve) => {
      const mine = ++id;
      const onReply = (raw: Buffer) => {
        const message = JSON.parse(raw.toString());
        if (message.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(message.params.chunk);
        if (message.id === mine) {
          ws.off('message', onReply);
          resolve();
        }
      };
      ws.on('message', onReply);
      ws.send(JSON.stringify({ id: mine, method, params }));
    });
  await call('HeapProfiler.enable');
  await call('HeapProfiler.collectGarbage');
  if (what === 'snapshot') await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await call('HeapProfiler.disable');
  ws.close();
  return chunks.join('');
}

async function snapshot(dir: string): Promise<string> {
  const path = join(dir, `replica-${Date.now()}.heapsnapshot`);
  writeFileSync(path, await inspector(inspectPort, 'snapshot'));
  return path;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'conn-mem-'));
  const redisPort = await freePort();
  const redis = start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work], {});
  const port = await freePort();
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    INSTANCE_ID: `mem-${values.runtime}`,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    LOG_LEVEL: 'warn',
    MAX_CONNECTIONS: '0',
    MAX_CONNECTIONS_PER_IP: '0',
    DENO_NO_UPDATE_CHECK: '1',
  };
  inspectPort = await freePort();
  const replica =
    values.runtime === 'deno'
      ? start(`${ROOT}node_modules/.bin/deno`, ['run', `--inspect=127.0.0.1:${inspectPort}`, '--cached-only', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', 'src/deno/main.ts'], env)
      : start(process.execPath, [`--inspect=127.0.0.1:${inspectPort}`, ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []), '--import', 'tsx', 'src/node/main.ts'], env, ROOT);
  const stopAll = async () => {
    // A CPU profile is written on a clean exit only.
    if (values['cpu-prof']) {
      replica.child.kill('SIGTERM');
      await new Promise((resolve) => replica.child.once('exit', resolve));
    }
    replica.child.kill('SIGKILL');
    redis.child.kill('SIGKILL');
  };
  try {
    const pid = replica.child.pid!;
    await sleep(300);
    const listening = async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
      } catch {
        return false;
      }
    };
    const until = Date.now() + 30_000;
    while (!(await listening())) {
      if (Date.now() > until || replica.child.exitCode !== null) throw new Error(`the replica did not start:\n${replica.output()}`);
      await sleep(100);
    }
    // Warm up: code compiled, pools filled, then gone.
    await closeAll(await openAll(port, N, Math.min(1000, N)));
    await sleep(2000);

    const baseline = values.snapshot ? countSnapshot(await snapshot(work)) : undefined;
    await inspector(inspectPort, 'gc');
    const rssBefore = rssKiB(pid);
    const cpuBefore = cpuMicros(pid);
    const started = performance.now();
    const sockets = await openAll(port, 0, N);
    const elapsed = performance.now() - started;
    const cpuAfter = cpuMicros(pid);
    await sleep(5000);
    const rssAfterNoGc = rssKiB(pid);
    await inspector(inspectPort, 'gc');
    const rssAfter = rssKiB(pid);
    const result = {
      runtime: values.runtime,
      members: N,
      roomSize: ROOM_SIZE,
      rssKiBPerMember: +((rssAfter - rssBefore) / N).toFixed(2),
      rssKiBPerMemberBeforeGc: +((rssAfterNoGc - rssBefore) / N).toFixed(2),
      cpuMicrosPerConnect: Math.round((cpuAfter - cpuBefore) / N),
      connectSeconds: +(elapsed / 1000).toFixed(1),
      rssBeforeMiB: +(rssBefore / 1024).toFixed(1),
      rssAfterMiB: +(rssAfter / 1024).toFixed(1),
    };
    console.log(JSON.stringify(result));

    if (baseline) {
      const file = await snapshot(work);
      const grown = new Map<string, { count: number; bytes: number }>();
      for (const [key, v] of countSnapshot(file)) {
        const before = baseline.get(key) ?? { count: 0, bytes: 0 };
        grown.set(key, { count: v.count - before.count, bytes: v.bytes - before.bytes });
      }
      const rows = [...grown.entries()].sort((a, b) => b[1].bytes - a[1].bytes);
      const total = rows.reduce((sum, [, v]) => sum + v.bytes, 0);
      console.log(`heap growth (snapshot ${file} against one taken before the members): ${(total / N / 1024).toFixed(2)} KiB per member`);
      for (const [key, v] of rows.slice(0, Number(values.top))) {
        console.log(`${(v.count / N).toFixed(2).padStart(8)} per member ${(v.bytes / N).toFixed(0).padStart(6)} B/member  ${key}`);
      }
    }
    await closeAll(sockets);
  } finally {
    await stopAll();
  }
}

await main();
