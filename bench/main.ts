/**
 * `npm run bench`: this project against Socket.IO 4.8 + @socket.io/redis-adapter
 * on this machine, in one run; see docs/performance.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { LoadGenerator } from './load.ts';
import { type ScenarioName, parseOptions } from './options.ts';
import { killEverything, killEverythingOnExit, raiseFileLimit, ROOT } from './processes.ts';
import type { BenchResults } from './results.ts';
import type { ScenarioContext } from './scenarios/context.ts';
import { runFanout } from './scenarios/fanout.ts';
import { runIdle } from './scenarios/idle.ts';
import { joinSizes, runJoin } from './scenarios/join.ts';
import { runRecovery } from './scenarios/recovery.ts';
import { runRooms } from './scenarios/rooms.ts';
import { formatTable, generatorLine, tableRows } from './table.ts';

const options = parseOptions(process.argv.slice(2));
killEverythingOnExit();

/** What each scenario measures and roughly how long it takes here (full, quick), in seconds. */
const PLAN: Record<ScenarioName, { what: (quick: boolean) => string; seconds: [number, number] }> = {
  join: { what: (q) => `${joinSizes(q).join(' and ')} members into one room`, seconds: [35, 12] },
  idle: { what: (q) => `${q ? '1,000' : '10,000'} idle connections in rooms of 10`, seconds: [45, 15] },
  fanout: { what: (q) => `one room of ${q ? 200 : '1,000'}, rising rates 40…1,600 msg/s`, seconds: [45, 25] },
  rooms: { what: (q) => (q ? '400 rooms × 5, 200 msg/s' : '2,000 rooms × 5, 1,000 msg/s for 10 s'), seconds: [35, 12] },
  recovery: { what: (q) => `since ${q ? '100 and 1,000' : '100 and 10,000'} messages back (ours only)`, seconds: [20, 8] },
};

const results: BenchResults = {
  startedAt: new Date().toISOString(),
  machine: {
    cpuModel: /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    fileLimit: raiseFileLimit(),
    loadAverageAtStart: loadavg()[0]!,
  },
  options,
};

const systems = ['socketio', 'ours', ...(options.deno ? ['deno'] : [])] as ScenarioContext['systems'];
const total = options.only.reduce((s, name) => s + PLAN[name].seconds[options.quick ? 1 : 0] * (options.deno && name === 'idle' ? 1.5 : 1), 0);
console.log(`bench: ${systems.join(' vs ')} on ${results.machine.cores} cores (${results.machine.cpuModel}), ${options.workers} generator threads`);
for (const name of options.only) console.log(`  ${name.padEnd(9)} ${PLAN[name].what(options.quick)}, ~${PLAN[name].seconds[options.quick ? 1 : 0]} s`);
console.log(`  expected: about ${Math.ceil(total / 60)} min${options.quick ? ' (--quick)' : ''}`);
if (results.machine.loadAverageAtStart > results.machine.cores / 2) {
  console.log(`  note: load average ${results.machine.loadAverageAtStart.toFixed(1)} at start: other work shares these cores, figures will be noisy`);
}
console.log('');

const load = new LoadGenerator(options.workers);
const ctx: ScenarioContext = { load, systems, quick: options.quick };
try {
  for (const name of options.only) {
    if (name === 'join') results.join = await runJoin(ctx);
    if (name === 'idle') results.idle = await runIdle(ctx);
    if (name === 'fanout') results.fanout = await runFanout(ctx);
    if (name === 'rooms') results.rooms = await runRooms(ctx);
    if (name === 'recovery') results.recovery = await runRecovery(ctx);
  }
} catch (err) {
  console.error(`\nbench: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
} finally {
  await load.stop();
  killEverything();
}

console.log(`\n${formatTable(tableRows(results))}\n\n${generatorLine(results)}`);
const dir = `${ROOT}bench/results`;
mkdirSync(dir, { recursive: true });
const file = `${dir}/${results.startedAt.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`raw figures: ${file.slice(ROOT.length)}`);
