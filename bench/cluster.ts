import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchProcess, freePort, PROFILE_DIR, ROOT, startProcess, waitUntil } from './processes.ts';
import { rssBytes } from './cpu.ts';

/** What is measured: Socket.IO with its Redis adapter, this project on Node, or on Deno. */
export type SystemName = 'socketio' | 'ours' | 'deno';

export const SYSTEM_LABELS: Record<SystemName, string> = { socketio: 'Socket.IO', ours: 'ours', deno: 'ours on Deno' };

/** A redis-server of its own and two replicas of one system, on loopback ports. */
export interface Cluster {
  readonly system: SystemName;
  readonly ports: number[];
  readonly serverPids: number[];
  readonly redisPid: number;
  /** Each replica's V8 inspector port on 127.0.0.1, in the order of `ports`; empty unless started with `inspect`. */
  readonly inspectorPorts: number[];
  /** Sum of the replicas' resident memory, in bytes. */
  serversRss(): number;
  stop(): Promise<void>;
}

/** Settings every scenario gives our replicas: no caps, no per-connection message limit (Socket.IO has none). */
const OUR_ENV = {
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  MAX_CONNECTIONS: '0',
  MAX_CONNECTIONS_PER_IP: '0',
  RATE_LIMIT: '0',
};

export interface ClusterOptions {
  /**
   * Start each replica with its V8 inspector on a free 127.0.0.1 port, so the
   * bench can force a full GC (see bench/inspector-gc.ts). Only for memory
   * readings: an inspector is a thread and a listening socket more.
   */
  inspect?: boolean;
}

export async function startCluster(system: SystemName, env: Record<string, string> = {}, options: ClusterOptions = {}): Promise<Cluster> {
  const started: BenchProcess[] = [];
  const inspectorPorts: number[] = [];
  try {
    const redis = await startRedis();
    started.push(redis.process);
    const ports = [await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) {
      const replicaEnv = { ...OUR_ENV, ...env, PORT: String(port), INSTANCE_ID: `${system}-${i + 1}`, REDIS_URL: redis.url };
      const inspectorPort = options.inspect ? await freePort() : undefined;
      if (inspectorPort !== undefined) inspectorPorts.push(inspectorPort);
      const replica = startReplica(system, `${system}-${i + 1}`, replicaEnv, inspectorPort);
      started.push(replica);
      await waitUntil(replica, async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 30_000);
    }
    const servers = started.slice(1);
    return {
      system,
      ports,
      serverPids: servers.map((s) => s.pid),
      redisPid: redis.process.pid,
      inspectorPorts,
      serversRss: () => servers.reduce((sum, s) => sum + rssBytes(s.pid), 0),
      stop: async () => {
        await Promise.all(started.map((s) => s.stop()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
}

function startReplica(system: SystemName, name: string, env: Record<string, string>, inspectorPort: number | undefined): BenchProcess {
  // Node and Deno take the same flag; the host keeps the inspector off every interface but loopback.
  const inspect = inspectorPort === undefined ? [] : [`--inspect=127.0.0.1:${inspectorPort}`];
  switch (system) {
    case 'ours':
      return startProcess(name, process.execPath, [...inspect, ...profiling(name), '--import', 'tsx', 'src/node/main.ts'], env);
    case 'socketio':
      return startProcess(name, process.execPath, [...inspect, ...profiling(name), '--import', 'tsx', 'bench/socketio-server.ts'], env);
    case 'deno':
      // The arguments of `npm run start:deno`, with the binary started directly so its pid is the server's.
      return startProcess(
        name,
        join(ROOT, 'node_modules/.bin/deno'),
        ['run', ...inspect, '--cached-only', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', 'src/deno/main.ts'],
        { DENO_NO_UPDATE_CHECK: '1', ...env },
      );
  }
}

function profiling(name: string): string[] {
  return PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, name)}`] : [];
}

async function startRedis(): Promise<{ process: BenchProcess; url: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const redis = startProcess('redis-server', 'redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
  ]);
  await waitUntil(redis, async () => /Ready to accept connections/.test(redis.output()), 10_000);
  return { process: redis, url: `redis://127.0.0.1:${port}` };
}
