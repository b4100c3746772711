import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../bench/free-port.ts';
import { readConfig } from '../server/read-config.ts';
import { DEV_USAGE, DevUsageError, parseDevArgs, type DevArgs } from './dev-args.ts';
import { DevChildren } from './dev-children.ts';
import { count, runMemoryReplicas } from './dev-memory.ts';
import { DevPortError, checkPortsFree, replicaPorts } from './dev-ports.ts';
import { untilBrokerReady } from './dev-ready.ts';
import { DataDirBusyError, KEPT_DATA_DIR, keptDataDir, throwawayDataDir, type RedisDataDir } from './dev-redis.ts';
import { nodeHost } from './host.ts';

/**
 * `npm run dev`: redis-server from PATH on a free port and N replicas (2 unless
 * --replicas) as separate processes on PORT, PORT+1, …, each line prefixed with
 * its name; without redis-server, the in-memory replicas in one process. Any
 * failure or signal stops everything it started, and leaves no directory behind.
 */
const REDIS_READY_MS = 30_000;
const REPLICA_READY_MS = 60_000;

const args = argsOrUsage(process.argv.slice(2));
const base = readConfig(nodeHost);
const ports = await portsOrExit(base.host, base.port, args.replicas);
const redisServer = process.env.REDIS_SERVER || 'redis-server';

if (spawnSync(redisServer, ['--version']).error) {
  if (args.keep !== undefined) {
    console.error(`[dev] --keep needs redis-server, and ${redisServer} is not on PATH: apt-get install redis-server, or brew install redis`);
    process.exit(2);
  }
  console.log(`${redisServer} is not on PATH, so the replicas run in one process with the in-memory broker (for Redis between them: apt-get install redis-server, or brew install redis).`);
  console.log('[dev] The in-memory broker is throwaway: every room is gone when this stops (with redis-server, npm run dev -- --keep keeps them).');
  await runMemoryReplicas(base, ports);
} else {
  await runWithRedis(redisServer, args, ports);
}

async function runWithRedis(redisServer: string, args: DevArgs, ports: number[]): Promise<void> {
  let data: RedisDataDir;
  try {
    data = args.keep === undefined ? throwawayDataDir() : keptDataDir(args.keep);
  } catch (err) {
    if (!(err instanceof DataDirBusyError)) throw err;
    console.error(`[dev] ${err.message}`);
    process.exit(2);
  }
  console.log(
    args.keep !== undefined
      ? `[dev] --keep: Redis keeps rooms in ${shown(args.keep)} (an append-only file) and reads them back at the next start with --keep; delete that directory to start afresh.`
      : '[dev] This Redis is throwaway: every room is gone when npm run dev stops. To keep rooms across restarts: npm run dev -- --keep (kept in .dev-data/).',
  );

  let ending = false;
  const children = new DevChildren((reason) => void end(1, reason));
  // The last resort, for any way out that skipped end(): nothing outlives the launcher.
  process.on('exit', () => {
    children.killNow();
    data.release();
  });
  async function end(code: number, reason: string): Promise<void> {
    if (ending) return;
    ending = true;
    if (code === 0) console.log(`[dev] ${reason}: stopping the replicas, then Redis`);
    else console.error(`[dev] ${reason}: stopping everything it started`);
    await children.stopAll();
    data.release();
    process.exit(code);
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void end(0, signal));
  process.on('uncaughtException', (err) => void end(1, `the launcher failed: ${err.stack ?? err.message}`));
  process.stdout.on('error', (err) => void end(1, `cannot write its output: ${err.message}`));

  try {
    const redisPort = await freePort();
    const redis = children.start('redis', 0, redisServer, ['--port', String(redisPort), '--bind', '127.0.0.1', ...data.redisArgs]);
    await redis.ready(/Ready to accept connections/, REDIS_READY_MS);
    data.redisStarted();

    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const urls = await Promise.all(
      ports.map(async (port, i) => {
        const name = `node-${i + 1}`;
        const env = { ...process.env, PORT: String(port), INSTANCE_ID: name, REDIS_URL: `redis://127.0.0.1:${redisPort}` };
        const child = children.start(name, 1, process.execPath, ['--import', 'tsx', main], env);
        const [, url] = await child.ready(/"msg":"listening on ([^"]+)"/, REPLICA_READY_MS);
        await untilBrokerReady(name, url!, REDIS_READY_MS);
        return `  ${name}: ${url}`;
      }),
    );
    const kept = args.keep === undefined ? 'throwaway' : `kept in ${shown(args.keep)}`;
    const tabs = ports.length > 1 ? 'Open one tab on each, in the same room. ' : '';
    console.log(`\n${count(ports.length)}, joined by Redis on 127.0.0.1:${redisPort} (${kept}):\n${urls.join('\n')}\n${tabs}Ctrl-C stops all.\n`);
  } catch (err) {
    void end(1, err instanceof Error ? err.message : String(err));
  }
}

function argsOrUsage(argv: string[]): DevArgs {
  try {
    const parsed = parseDevArgs(argv);
    if (parsed.help) {
      console.log(DEV_USAGE);
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    if (!(err instanceof DevUsageError)) throw err;
    console.error(`[dev] ${err.message}\n${DEV_USAGE}`);
    process.exit(2);
  }
}

async function portsOrExit(host: string, port: number, replicas: number): Promise<number[]> {
  try {
    const planned = replicaPorts(port, replicas);
    await checkPortsFree(host, planned);
    return planned;
  } catch (err) {
    if (!(err instanceof DevPortError)) throw err;
    console.error(`[dev] ${err.message}`);
    process.exit(2);
  }
}

/** The default as a user would write it; any other directory in full. */
function shown(dir: string): string {
  return dir === KEPT_DATA_DIR ? '.dev-data/' : dir;
}
