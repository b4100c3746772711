import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../server/read-config.ts';
import { nodeHost } from './host.ts';
import { runMemoryPair } from './dev-memory.ts';

/**
 * `npm run dev`: redis-server from PATH on a free port and two replicas as
 * separate processes on PORT and PORT+1, each line prefixed with its name;
 * without redis-server, the in-memory pair in one process.
 */
const base = readConfig(nodeHost);
if (base.port === 65535) {
  console.error('chat: PORT=65535 leaves no room for the second replica on PORT+1');
  process.exit(2);
}
const redisServer = process.env.REDIS_SERVER || 'redis-server';
if (spawnSync(redisServer, ['--version']).error) {
  console.log(`${redisServer} is not on PATH, so both replicas run in one process with the in-memory broker (for Redis between them: apt-get install redis-server, or brew install redis).`);
  await runMemoryPair(base);
} else {
  await runWithRedis();
}

async function runWithRedis(): Promise<void> {
  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const replicas = children.slice(1);
    await Promise.all(replicas.map((c) => ended(c, 'SIGTERM')));
    await ended(children[0]!, 'SIGTERM');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const redisPort = await freePort();
  const redis = start('redis', redisServer, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', mkdtempSync(join(tmpdir(), 'chat-dev-redis-'))]);
  children.push(redis);
  await lineMatching(redis, /Ready to accept connections/);

  const main = fileURLToPath(new URL('./main.ts', import.meta.url));
  const urls: string[] = [];
  for (const [i, port] of [base.port, base.port + 1].entries()) {
    const name = `node-${i + 1}`;
    const env = { ...process.env, PORT: String(port), INSTANCE_ID: name, REDIS_URL: `redis://127.0.0.1:${redisPort}` };
    const child = start(name, process.execPath, ['--import', 'tsx', main], env);
    children.push(child);
    const [, url] = await lineMatching(child, /"msg":"listening on ([^"]+)"/);
    urls.push(`  ${name}: ${url}`);
  }
  for (const child of children) {
    child.once('exit', (code) => {
      if (!stopping) console.error(`[dev] ${child === redis ? 'redis' : 'a replica'} exited (${code}); stopping the rest`);
      void stop(1);
    });
  }
  console.log(`\nTwo replicas, joined by Redis on 127.0.0.1:${redisPort}:\n${urls.join('\n')}\nOpen one tab on each, in the same room. Ctrl-C stops all.\n`);

  function start(name: string, command: string, args: string[], env = process.env): ChildProcess {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
    }
    child.once('error', (err) => {
      console.error(`[dev] could not start ${name}: ${err.message}`);
      void stop(1);
    });
    return child;
  }
}

function lineMatching(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        const match = line.match(pattern);
        if (match) resolve(match);
      });
    }
    child.once('exit', (code) => reject(new Error(`exited (${code}) before printing ${pattern}`)));
  }).catch((err: Error) => {
    console.error(`[dev] ${err.message}`);
    process.exit(1);
  }) as Promise<RegExpMatchArray>;
}

function ended(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
