/**
 * What REDIS_WAIT_REPLICAS=1 costs a publish: ack latency (p50, p99) and
 * publishes a second, with and without WAIT, one at a time and IN_FLIGHT at
 * once (as many members of one replica sending together).
 *
 * Starts its own redis-server and a replica of it (`--replicaof`) on free
 * loopback ports (never 6379; nothing kept on disk) and one RedisBroker per case,
 * as one chat replica, publishing MESSAGES messages round-robin over ROOMS
 * rooms. Both Redis processes stop at the end, also after a failure.
 *
 *   npx tsx scripts/wait-replicas-cost.ts
 *
 * Environment: MESSAGES (5000), ROOMS (100), IN_FLIGHT (50).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisBroker } from '../src/broker/redis.ts';
import { freePort } from '../bench/free-port.ts';

const MESSAGES = Number(process.env.MESSAGES ?? 5000);
const ROOMS = Number(process.env.ROOMS ?? 100);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 50);
const quiet = { info() {}, warn() {}, error() {} };
const member = { id: 'c_cost', name: 'cost' };
const TEXT = 'message: a line of chat of a usual length, some forty characters';

/** Where the replica puts the copy it syncs from (it loads it from disk); removed at the end. */
const dir = mkdtempSync(join(tmpdir(), 'chat-wait-cost-'));

async function startRedis(args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 10_000;
  while (!output.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return child;
}

async function stopRedis(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

interface Figures {
  p50: number;
  p99: number;
  perSecond: number;
}

async function measure(url: string, waitReplicas: number, inFlight: number): Promise<Figures> {
  const broker = new RedisBroker({ url, instance: `cost-${waitReplicas}-${inFlight}`, historySize: 1000, log: quiet, waitReplicas, waitTimeoutMs: 1000, heartbeatMs: 3_600_000 });
  const deadline = Date.now() + 10_000;
  while (!broker.isReady()) {
    if (Date.now() > deadline) throw new Error('the broker did not get ready');
    await new Promise((r) => setTimeout(r, 20));
  }
  const latencies: number[] = [];
  let next = 0;
  const sender = async () => {
    while (next < MESSAGES) {
      const n = next++;
      const started = process.hrtime.bigint();
      await broker.publish({ room: `cost-${n % ROOMS}`, from: member, text: TEXT });
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: inFlight }, sender));
  const seconds = (Date.now() - started) / 1000;
  await broker.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { p50: at(0.5), p99: at(0.99), perSecond: MESSAGES / seconds };
}

async function main(): Promise<void> {
  let master: ChildProcess | undefined;
  let replica: ChildProcess | undefined;
  try {
    const masterPort = await freePort();
    const replicaPort = await freePort();
    master = await startRedis(['--port', String(masterPort)]);
    replica = await startRedis(['--port', String(replicaPort), '--replicaof', '127.0.0.1', String(masterPort)]);
    const check = new Redis({ port: replicaPort });
    const synced = Date.now() + 10_000;
    while (!/master_link_status:up/.test(await check.info('replication'))) {
      if (Date.now() > synced) throw new Error('the replica did not sync');
      await new Promise((r) => setTimeout(r, 50));
    }
    check.disconnect();
    const url = `redis://127.0.0.1:${masterPort}`;
    console.log(`${MESSAGES} publishes over ${ROOMS} rooms, one Redis and one replica on loopback`);
    console.log('case                         p50 ms   p99 ms   publishes/s');
    for (const inFlight of [1, IN_FLIGHT]) {
      for (const waitReplicas of [0, 1]) {
        const { p50, p99, perSecond } = await measure(url, waitReplicas, inFlight);
        const name = `${waitReplicas ? 'WAIT 1' : 'no WAIT'}, ${inFlight} in flight`;
        console.log(`${name.padEnd(28)} ${p50.toFixed(3).padStart(6)}   ${p99.toFixed(3).padStart(6)}   ${perSecond.toFixed(0).padStart(11)}`);
      }
    }
  } finally {
    await stopRedis(replica);
    await stopRedis(master);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
