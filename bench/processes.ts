import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
export { freePort } from './free-port.ts';

/** A process the bench started; its output is kept to explain a failure. */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<BenchProcess>();

export const ROOT = new URL('..', import.meta.url).pathname;

/** BENCH_CPU_PROFILE_DIR: the Node servers write V8 CPU profiles there (see docs/performance.md). */
export const PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR;

/** Kills what the bench started should the bench die without doing so itself; see bench/reaper.ts. */
const reaper = spawn(process.execPath, ['--import', 'tsx', 'bench/reaper.ts'], {
  cwd: ROOT,
  stdio: ['pipe', 'ignore', 'inherit'],
  detached: true,
});
reaper.unref();
(reaper.stdin as Socket).unref();
reaper.stdin!.on('error', () => undefined);

/**
 * Starts a command in its own process group (so a stop also ends whatever it
 * started) and tracks it until it exits, so killEverything() can end it.
 */
export function startProcess(name: string, command: string, args: string[], env: Record<string, string> = {}): BenchProcess {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started: BenchProcess = {
    name,
    pid: child.pid!,
    child,
    output: () => output,
    async stop() {
      // A profiled process writes its profile when it exits on its own: it is asked first.
      if (PROFILE_DIR && child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      }
      killGroup(child);
      await exited;
      running.delete(started);
    },
  };
  reaper.stdin!.write(`+${child.pid}\n`);
  void exited.then(() => {
    running.delete(started);
    reaper.stdin!.write(`-${child.pid}\n`);
  });
  running.add(started);
  return started;
}

function killGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // The group already exited.
  }
}

/** Synchronous, so it also works from an 'exit' handler. */
export function killEverything(): void {
  for (const started of running) killGroup(started.child);
  running.clear();
}

/** Every process the bench started is ended on exit, on an error and on SIGINT/SIGTERM. */
export function killEverythingOnExit(): void {
  process.on('exit', killEverything);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killEverything();
      console.error(`\nbench: stopped by ${signal}; every process it started was killed`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}


/** Polls `ready` until it holds; a process that exits first fails with its output. */
export async function waitUntil(started: BenchProcess, ready: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (started.child.exitCode !== null) throw new Error(`${started.name} exited with ${started.child.exitCode}:\n${started.output()}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${started.name} was not ready within ${timeoutMs} ms:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * 10,000 connections need 10,000 descriptors in the bench and 5,000 in each
 * replica (they inherit the limit): raise the soft limit to the hard one.
 */
export function raiseFileLimit(): string {
  try {
    const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`]);
    return hard;
  } catch {
    return execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  }
}
