import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { freePort } from '../../bench/free-port.ts';
import { showLogsOnFailure } from './process-logs.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * A server entry run as a real process (through tsx, as `npm run dev` does; `npm start` runs the built dist/server/main.js),
 * with its output kept and printed when the test that started it fails.
 */
export class ServiceProcess {
  private output = '';
  private readonly forgetLogs: () => void;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.forgetLogs = showLogsOnFailure(name, () => this.output);
  }

  static start(name: string, entry: string, env: Record<string, string>): ServiceProcess {
    return ServiceProcess.run(name, process.execPath, ['--import', 'tsx', entry], { LOG_LEVEL: 'info', ...env });
  }

  /** Any command, run from the project's root, as a person would type it there. */
  static run(name: string, command: string, args: string[], env: Record<string, string> = {}): ServiceProcess {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so stop() also ends what it started (the dev launcher's children).
      detached: true,
    });
    return new ServiceProcess(name, child);
  }

  get logs(): string {
    return this.output;
  }

  /** Waits until the output matches, or fails (with the output) when the process exits first. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    void this.exited.then((how) => (exited = how));
    // In the error itself: a caller that stops the process on failure also drops its logs.
    const tail = () => `; its output ended:\n${this.output.slice(-2000)}`;
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (exited) throw new Error(`${this.name} exited (${JSON.stringify(exited)}) before printing ${pattern}${tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms${tail()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends `signal` to the process alone, as a supervisor would. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Ends the process and everything it started, for good; safe to call after it exited. */
  async stop(): Promise<void> {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
    await this.exited;
    this.forgetLogs();
  }
}

/** A loopback port nothing listens on right now (the bench's). */
export { freePort };

/** Two consecutive free loopback ports, for the dev launcher's pair. */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port < 65535 && (await isFree(port + 1))) return port;
  }
  throw new Error('no two consecutive free ports');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
