import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How long a child gets to stop after SIGTERM before SIGKILL: a replica's own shutdown limit is 10 s. */
const STOP_LIMIT_MS = 12_000;

export interface DevChild {
  readonly name: string;
  readonly process: ChildProcess;
  /** Stopped after every child of a higher tier (replicas before the Redis they use). */
  readonly tier: number;
  /** Resolves with the first line matching, or rejects when the child exits first or `timeoutMs` passes. */
  ready(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

/**
 * The launcher's children: their output on ours, each line prefixed with
 * their name; any exit or spawn error before `stopAll` is reported once to
 * `onFailure`; `stopAll` ends them in tiers, and `killNow` ends them at once
 * when the launcher itself is exiting.
 */
export class DevChildren {
  private readonly children: DevChild[] = [];
  private stopping = false;

  constructor(private readonly onFailure: (reason: string) => void) {}

  start(name: string, tier: number, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): DevChild {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const waiters = new Set<(line: string) => void>();
    let isReady = false;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        console.log(`[${name}] ${line}`);
        for (const waiter of waiters) waiter(line);
      });
    }
    child.once('error', (err) => {
      if (!this.stopping) this.onFailure(`could not start ${name} (${command}): ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const how = signal ? `was ended by ${signal}` : `exited with code ${code}`;
      // After its last lines, which say why, so ours comes last.
      void drained(child).then(() => {
        if (!this.stopping) this.onFailure(`${name} ${how}${isReady ? '' : ' before it was ready'}`);
      });
    });
    const entry: DevChild = {
      name,
      process: child,
      tier,
      ready: (pattern, timeoutMs) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            waiters.delete(onLine);
            reject(new Error(`${name} was not ready within ${timeoutMs / 1000} s (no line matching ${pattern})`));
          }, timeoutMs);
          const onLine = (line: string) => {
            const match = line.match(pattern);
            if (!match) return;
            clearTimeout(timer);
            waiters.delete(onLine);
            isReady = true;
            resolve(match);
          };
          waiters.add(onLine);
        }),
    };
    this.children.push(entry);
    return entry;
  }

  /** SIGTERM to each tier, highest first, waiting for it to exit (SIGKILL after STOP_LIMIT_MS). */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const tiers = [...new Set(this.children.map((c) => c.tier))].sort((a, b) => b - a);
    for (const tier of tiers) {
      await Promise.all(this.children.filter((c) => c.tier === tier).map((c) => stopped(c.process)));
    }
  }

  /** SIGKILL to every child still running, synchronously: for the launcher's own exit. */
  killNow(): void {
    this.stopping = true;
    for (const { process: child } of this.children) {
      if (running(child)) child.kill('SIGKILL');
    }
  }
}

function running(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

async function stopped(child: ChildProcess): Promise<void> {
  if (running(child)) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_LIMIT_MS);
    await exited;
    clearTimeout(timer);
  }
  await drained(child);
}

/**
 * Waits for a child's last lines, still in its pipes when it exits; at most a
 * second, as a grandchild (tsx's esbuild) may hold them open a little longer.
 */
async function drained(child: ChildProcess): Promise<void> {
  if (!child.stdout || child.stdout.closed) return;
  await Promise.race([new Promise((resolve) => child.once('close', resolve)), new Promise((resolve) => setTimeout(resolve, 1000))]);
}
