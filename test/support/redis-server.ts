import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './service-process.ts';
import { showLogsOnFailure } from './process-logs.ts';
import { toolAvailable } from './tool.ts';

/**
 * Whether the Redis tests can run: without redis-server they skip, with one
 * line saying why; under CI=true or REQUIRE_REDIS=1 its absence is a failure.
 */
export function redisAvailable(): boolean {
  return toolAvailable('redis-server', ['--version'], 'REQUIRE_REDIS', 'apt-get install redis-server');
}

export interface RedisServerOptions {
  /** Extra lines for redis.conf, such as ACL `user` lines. */
  config?: string[];
  /** Serve TLS only (for rediss://), with this certificate and key. */
  tls?: { certFile: string; keyFile: string };
}

/**
 * A redis-server of the test's own, on a free loopback port, keeping nothing on
 * disk; never the machine's Redis on 6379. Its log is printed when a test fails.
 */
export class RedisServer {
  private process: ChildProcess | null = null;
  private output = '';
  private readonly dir = mkdtempSync(join(tmpdir(), 'chat-redis-'));
  private readonly forgetLogs: () => void;

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {
    this.forgetLogs = showLogsOnFailure(`redis-server :${port}`, () => this.output);
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get logs(): string {
    return this.output;
  }

  /** Starts it (again) on the same port, empty. */
  async restart(): Promise<void> {
    const conf = join(this.dir, 'redis.conf');
    writeFileSync(
      conf,
      [
        ...(this.options.tls
          ? ['port 0', `tls-port ${this.port}`, `tls-cert-file ${this.options.tls.certFile}`, `tls-key-file ${this.options.tls.keyFile}`, 'tls-auth-clients no']
          : [`port ${this.port}`]),
        'bind 127.0.0.1', 'save ""', 'appendonly no', `dir ${this.dir}`, ...(this.options.config ?? [])].join('\n') + '\n',
    );
    const child = spawn('redis-server', [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    const deadline = Date.now() + 10_000;
    while (!/Ready to accept connections/.test(this.output.split('\n').slice(-20).join('\n'))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not start:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Kills it at once (SIGKILL): clients see the connection drop. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.output += '\n[test] redis-server killed\n';
  }

  async stop(): Promise<void> {
    await this.kill();
    this.forgetLogs();
  }
}

/**
 * A RedisServer with one more ACL user, `user`, allowed all of chat:* (a test
 * can then cut that user alone off with ACL SETUSER or CLIENT KILL), and an
 * admin connection as the default user. `track` takes both to close them.
 */
export async function redisWithUser(
  user: string,
  password: string,
  track: (o: { close(): Promise<void> }) => void,
): Promise<{ redis: RedisServer; admin: Redis; userUrl: string }> {
  const redis = await RedisServer.start({ config: [`user ${user} on >${password} ~chat:* &chat:* +@all`] });
  track({ close: () => redis.stop() });
  const admin = new Redis(redis.url);
  track({ close: async () => admin.disconnect() });
  return { redis, admin, userUrl: `redis://${user}:${password}@127.0.0.1:${redis.port}` };
}
