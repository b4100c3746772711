/**
 * What fanning out to one big room costs a replica in write system calls and
 * CPU: one replica process (`src/node/main.ts`, as `npm start` runs it) on a
 * redis-server of its own (free loopback port, nothing on disk), MEMBERS
 * members joining one room, then BURSTS bursts of SENDERS × PER_SENDER
 * messages sent at once.
 *
 * For each phase it prints the replica's CPU seconds (/proc/<pid>/stat) and,
 * with --strace, its write and writev calls (`strace -f -c -p <pid>`, attached
 * for that phase only; ptrace slows the replica, so read CPU from a run
 * without it).
 *
 *   npx tsx scripts/fanout-writes.ts [--strace]
 *
 * Environment: MEMBERS (1000), SENDERS (10), PER_SENDER (50), BURSTS (3).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { cpuSeconds } from '../bench/cpu.ts';
import { freePort } from '../bench/free-port.ts';

const MEMBERS = Number(process.env.MEMBERS ?? 1000);
const SENDERS = Number(process.env.SENDERS ?? 10);
const PER_SENDER = Number(process.env.PER_SENDER ?? 50);
const BURSTS = Number(process.env.BURSTS ?? 3);
const STRACE = process.argv.includes('--strace');
const ROOM = 'fanout';
const ROOT = new URL('..', import.meta.url).pathname;


/** Starts a process and waits until its output matches; the output is kept for a failure. */
async function startUntil(command: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 20_000;
  while (!ready.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${command} did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, output: () => output };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

/** Counts a phase's write and writev calls of `pid` (all threads) while `phase` runs. */
async function countWrites(pid: number, phase: () => Promise<void>): Promise<{ write: number; writev: number } | null> {
  if (!STRACE) {
    await phase();
    return null;
  }
  const { child, output } = await startUntil('strace', ['-f', '-c', '-e', 'trace=write,writev', '-p', String(pid)], {}, /attached/);
  await phase();
  await stop(child, 'SIGINT');
  const calls = (name: string) => Number(new RegExp(`^\\s*[\\d.]+\\s+[\\d.]+\\s+\\d+\\s+(\\d+)\\s+(?:\\d+\\s+)?${name}$`, 'm').exec(output())?.[1] ?? 0);
  return { write: calls('write'), writev: calls('writev') };
}

function until(check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

interface Member {
  ws: WebSocket;
  joins: number;
  messages: number;
}

function join(port: number, i: number): Promise<Member> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/${ROOM}?name=m${i}`);
    const member: Member = { ws, joins: 0, messages: 0 };
    ws.on('message', (data: Buffer) => {
      // The type is the first field of every frame; reading it from the bytes keeps this generator cheap.
      const head = data.toString('latin1', 0, 20);
      if (head.startsWith('{"type":"message"')) member.messages++;
      else if (head.startsWith('{"type":"join"')) member.joins++;
      else if (head.startsWith('{"type":"welcome"')) resolve(member);
    });
    ws.once('error', reject);
  });
}

function report(name: string, frames: number, cpu: number, writes: { write: number; writev: number } | null): void {
  const counted = writes
    ? `; write ${writes.write}, writev ${writes.writev}: ${((writes.write + writes.writev) / MEMBERS).toFixed(1)} calls per member, ${(frames / (writes.write + writes.writev)).toFixed(1)} frames per call`
    : '';
  console.log(`${name}: ${frames} frames out, replica CPU ${cpu.toFixed(2)} s${counted}`);
}

/** Processes this script started, stopped however it ends. */
const started: ChildProcess[] = [];
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of started) child.kill('SIGKILL');
    process.exit(130);
  });
}

async function main(): Promise<void> {
  const redisPort = await freePort();
  const redis = await startUntil('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {}, /Ready to accept connections/);
  const port = await freePort();
  const replica = await startUntil(
    process.execPath,
    ['--import', 'tsx', 'src/node/main.ts'],
    { PORT: String(port), HOST: '127.0.0.1', REDIS_URL: `redis://127.0.0.1:${redisPort}`, RATE_LIMIT: '0', LOG_LEVEL: 'info' },
    /listening on/,
  );
  const pid = replica.child.pid!;
  const members: Member[] = [];
  try {
    console.log(`replica pid ${pid}; ${MEMBERS} members in one room; ${BURSTS} bursts of ${SENDERS} senders × ${PER_SENDER} messages${STRACE ? '; strace attached per phase' : ''}`);

    let cpu0 = cpuSeconds(pid);
    const joinWrites = await countWrites(pid, async () => {
      for (let i = 0; i < MEMBERS; i += 50) {
        members.push(...(await Promise.all(Array.from({ length: Math.min(50, MEMBERS - i) }, (_, k) => join(port, i + k)))));
      }
      const joinFrames = (MEMBERS * (MEMBERS - 1)) / 2;
      await until(() => members.reduce((n, m) => n + m.joins, 0) >= joinFrames, 'every join frame');
    });
    report('joins', (MEMBERS * (MEMBERS - 1)) / 2 + MEMBERS, cpuSeconds(pid) - cpu0, joinWrites);

    const text = 'a line of chat of a usual length, some forty characters';
    cpu0 = cpuSeconds(pid);
    const burstWrites = await countWrites(pid, async () => {
      for (let b = 1; b <= BURSTS; b++) {
        // A connection may send 100 frames a second (docs/protocol.md); a burst a second keeps senders under it.
        if (b > 1) await new Promise((r) => setTimeout(r, 1000));
        for (let s = 0; s < SENDERS; s++) {
          for (let k = 0; k < PER_SENDER; k++) members[s]!.ws.send(JSON.stringify({ type: 'message', text: `${text} ${b}.${s}.${k}` }));
        }
        // A sender is not sent its own messages.
        await until(() => members.every((m, i) => m.messages >= b * (SENDERS - (i < SENDERS ? 1 : 0)) * PER_SENDER), `burst ${b}`);
      }
    });
    // Each message reaches every member but its sender, who gets its ack.
    report('bursts', BURSTS * SENDERS * PER_SENDER * MEMBERS, cpuSeconds(pid) - cpu0, burstWrites);
  } finally {
    for (const m of members) m.ws.terminate();
    await stop(replica.child);
    await stop(redis.child);
  }
}

await main();
