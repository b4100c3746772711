/**
 * What one publish costs Redis: Redis CPU (used_cpu_sys + used_cpu_user of
 * redis-server) and the commands it runs (INFO commandstats, which counts the
 * commands a script calls too), per publish.
 *
 * Starts its own redis-server on a free loopback port (never 6379; keeps
 * nothing on disk), two RedisBrokers as two replicas holding members in every
 * room (each subscribed to every room, so PUBLISH reaches two subscribers), and
 * publishes MESSAGES messages round-robin over ROOMS rooms, with and without
 * refs, with ROOM_TTL on (7 days) and 0. Only the publishes are measured: the
 * joins come before the counters are reset, and the heartbeat and keep timers
 * are set out of the way.
 *
 *   npx tsx scripts/redis-cost.ts [runs]
 *
 * Environment: ROOMS (2000), MEMBERS (5 per room), MESSAGES (20000),
 * IN_FLIGHT (100 publishes at once). RATE=1000 paces the publishes at that
 * many a second instead, with the replicas' heartbeat every 5 s as in
 * production, and also prints Redis CPU in % of one core over the run and
 * every command Redis ran meanwhile (heartbeat sweeps included).
 */
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { RedisBroker } from '../src/broker/redis.ts';
import { freePort } from '../bench/free-port.ts';

const ROOMS = Number(process.env.ROOMS ?? 2000);
const MEMBERS = Number(process.env.MEMBERS ?? 5);
const MESSAGES = Number(process.env.MESSAGES ?? 20_000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 100);
const RUNS = Number(process.argv[2] ?? 3);
const RATE = Number(process.env.RATE ?? 0);
const WEEK_MS = 7 * 24 * 3600 * 1000;
const quiet = { info() {}, warn() {}, error() {} };

interface Case {
  name: string;
  roomTtlMs: number;
  refs: boolean;
}
const cases: Case[] = [
  { name: 'ttl=7d refs', roomTtlMs: WEEK_MS, refs: true },
  { name: 'ttl=7d no-ref', roomTtlMs: WEEK_MS, refs: false },
  { name: 'ttl=0  refs', roomTtlMs: 0, refs: true },
  { name: 'ttl=0  no-ref', roomTtlMs: 0, refs: false },
];


async function startRedis(port: number): Promise<() => Promise<void>> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const deadline = Date.now() + 10_000;
  while (!output.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
}

function infoFields(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

async function redisCpuUs(admin: Redis): Promise<number> {
  const cpu = infoFields(await admin.info('cpu'));
  return (Number(cpu.get('used_cpu_sys')) + Number(cpu.get('used_cpu_user'))) * 1e6;
}

interface CommandStat {
  calls: number;
  usec: number;
}

/** Calls and time per command, from INFO commandstats (`cmdstat_xadd:calls=…,usec=…`); a script's time includes its commands'. */
async function commandStats(admin: Redis): Promise<Map<string, CommandStat>> {
  const stats = new Map<string, CommandStat>();
  for (const [key, value] of infoFields(await admin.info('commandstats'))) {
    const match = /calls=(\d+),usec=(\d+)/.exec(value);
    const name = key.slice('cmdstat_'.length);
    if (key.startsWith('cmdstat_') && match && name !== 'info' && name !== 'config|resetstat') stats.set(name, { calls: Number(match[1]), usec: Number(match[2]) });
  }
  return stats;
}

interface Result {
  cpuUsPerPublish: number;
  perPublish: Map<string, CommandStat>;
}

function perPublish(stats: Map<string, CommandStat>): Map<string, CommandStat> {
  return new Map([...stats].map(([name, { calls, usec }]) => [name, { calls: calls / MESSAGES, usec: usec / MESSAGES }]));
}

const TEXT = 'message: a line of chat of a usual length, some forty characters';

/**
 * The floor: one PUBLISH per message of a payload of the same size to the
 * same subscribers, and nothing stored (a bare ws + ioredis fan-out).
 */
async function measureBarePublish(url: string, admin: Redis): Promise<Result> {
  await admin.flushall();
  const publisher = new Redis(url);
  const subscribers = [new Redis(url), new Redis(url)];
  const channels = Array.from({ length: ROOMS }, (_, i) => `chat:{cost-${i}}`);
  for (const s of subscribers) await s.subscribe(...channels);
  const payload = `m 1763800000000-0 ${JSON.stringify({ from: { id: 'c_1', name: 'member 1' }, text: TEXT })}`;
  await admin.config('RESETSTAT');
  const cpuBefore = await redisCpuUs(admin);
  let next = 0;
  const startedAt = performance.now();
  const worker = async () => {
    while (next < MESSAGES) {
      const i = next++;
      if (RATE > 0) await new Promise((r) => setTimeout(r, Math.max(0, startedAt + (i * 1000) / RATE - performance.now())));
      await publisher.publish(channels[i % ROOMS]!, payload);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const cpuAfter = await redisCpuUs(admin);
  if (RATE > 0) console.log(`  paced at ${RATE}/s: Redis CPU ${(((cpuAfter - cpuBefore) / ((performance.now() - startedAt) * 1000)) * 100).toFixed(1)}% of a core`);
  const stats = await commandStats(admin);
  for (const c of [publisher, ...subscribers]) c.disconnect();
  return { cpuUsPerPublish: (cpuAfter - cpuBefore) / MESSAGES, perPublish: perPublish(stats) };
}

async function measure(url: string, admin: Redis, { roomTtlMs, refs }: Case, run: number): Promise<Result> {
  await admin.flushall();
  const options = { url, historySize: 100, roomTtlMs, log: quiet, ...(RATE > 0 ? {} : { heartbeatMs: 3_600_000, livenessTtlMs: 7_200_000 }) };
  const replicas = [new RedisBroker({ ...options, instance: 'cost-a' }), new RedisBroker({ ...options, instance: 'cost-b' })];
  while (!replicas.every((b) => b.isReady())) await new Promise((r) => setTimeout(r, 20));
  const rooms = Array.from({ length: ROOMS }, (_, i) => `cost-${i}`);
  let delivered = 0;
  const listener = () => void delivered++;
  for (let start = 0; start < ROOMS; start += 200) {
    await Promise.all(
      rooms.slice(start, start + 200).flatMap((room) => [
        ...replicas.map((b) => b.subscribe(room, listener)),
        ...Array.from({ length: MEMBERS }, (_, m) => replicas[m % 2]!.join(room, { id: `c_${m}`, name: `member ${m}` })),
      ]),
    );
  }
  // A first message per room, so that each room has its log and each replica a last id there (the floor), as in a running room.
  await Promise.all(rooms.map((room) => replicas[0]!.publish({ room, from: { id: 'c_0', name: 'member 0' }, text: 'hello' })));
  while (delivered < 2 * ROOMS) await new Promise((r) => setTimeout(r, 20));

  await admin.config('RESETSTAT');
  const cpuBefore = await redisCpuUs(admin);
  const startedAt = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < MESSAGES) {
      const i = next++;
      if (RATE > 0) await new Promise((r) => setTimeout(r, Math.max(0, startedAt + (i * 1000) / RATE - performance.now())));
      const m = i % MEMBERS;
      await replicas[m % 2]!.publish({
        room: rooms[i % ROOMS]!,
        from: { id: `c_${m}`, name: `member ${m}` },
        text: TEXT,
        ...(refs ? { ref: `ref-${run}-${i}-0f8c2a7e-5b1d-4c39-9e64-3a7d2c1b9f05` } : {}),
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const cpuAfter = await redisCpuUs(admin);
  const stats = await commandStats(admin);
  if (RATE > 0) {
    const wallUs = (performance.now() - startedAt) * 1000;
    const all = [...stats].sort(([, a], [, b]) => b.usec - a.usec).map(([n, st]) => `${n} ${Math.round(st.calls / (wallUs / 1e6))}/s ${((st.usec / wallUs) * 100).toFixed(2)}%`);
    console.log(`  paced at ${RATE}/s for ${(wallUs / 1e6).toFixed(1)} s: Redis CPU ${(((cpuAfter - cpuBefore) / wallUs) * 100).toFixed(1)}% of a core; commands: ${all.join(', ')}`);
  }
  await Promise.all(replicas.map((b) => b.close()));
  return { cpuUsPerPublish: (cpuAfter - cpuBefore) / MESSAGES, perPublish: perPublish(stats) };
}

async function main(): Promise<void> {
  const port = await freePort();
  const stopRedis = await startRedis(port);
  const url = `redis://127.0.0.1:${port}`;
  const admin = new Redis(url);
  try {
    console.log(`redis-server :${port}; ${ROOMS} rooms × ${MEMBERS} members on 2 replicas, ${MESSAGES} publishes, ${IN_FLIGHT} in flight, ${RUNS} runs per case`);
    const all: Array<{ name: string; run: (run: number) => Promise<Result> }> = [
      ...cases.map((c) => ({ name: c.name, run: (run: number) => measure(url, admin, c, run) })),
      { name: 'bare PUBLISH', run: () => measureBarePublish(url, admin) },
    ];
    for (const { name, run } of all) {
      const cpu: number[] = [];
      let last: Result | null = null;
      for (let i = 0; i < RUNS; i++) {
        last = await run(i);
        cpu.push(last.cpuUsPerPublish);
      }
      const stats = [...last!.perPublish].filter(([, s]) => s.calls > 0).sort(([a], [b]) => a.localeCompare(b));
      const scripted = stats.filter(([n]) => n !== 'evalsha' && n !== 'publish' && n !== 'eval').reduce((sum, [, s]) => sum + s.calls, 0);
      console.log(
        `${name}: Redis CPU ${[...cpu].sort((x, y) => x - y)[Math.floor(cpu.length / 2)]!.toFixed(1)} µs/publish (median of ${cpu.map((x) => x.toFixed(1)).join(' ')}); ` +
          `${scripted.toFixed(2)} data commands + publish; per publish: ${stats.map(([n, s]) => `${n} ${s.calls.toFixed(2)}× ${s.usec.toFixed(2)} µs`).join(', ')}`,
      );
    }
  } finally {
    admin.disconnect();
    await stopRedis();
  }
}

await main();
