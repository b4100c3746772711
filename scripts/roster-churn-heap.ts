/**
 * The heap of two in-process replicas on one memory bus while members churn
 * through a held room (test/support/roster-churn.ts), after forced GCs, at a
 * warm-up and after each further step; with --snapshots <dir>, a heap
 * snapshot at the warm-up and at the end, for scripts/heap-diff.ts.
 *
 *   node --expose-gc --import tsx scripts/roster-churn-heap.ts [--warmup 500] [--steps 2000,4000] [--wave 60] [--presence-limit 50] [--snapshots <dir>]
 */
import { writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startReplicas } from '../test/support/replicas.ts';
import { startRosterChurn } from '../test/support/roster-churn.ts';
import { settledHeap } from '../test/support/settled-heap.ts';

const { values } = parseArgs({
  options: {
    warmup: { type: 'string', default: '500' },
    steps: { type: 'string', default: '2000,4000' },
    wave: { type: 'string', default: '60' },
    'presence-limit': { type: 'string', default: '50' },
    snapshots: { type: 'string' },
  },
});
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

const wave = Number(values.wave);
// As test/room.roster-churn.test.ts: the per-address cap on, so that each connection takes and gives back a slot.
const set = await startReplicas(2, { presenceLimit: Number(values['presence-limit']), maxConnectionsPerIp: 10 * wave });
const churn = await startRosterChurn(set, 'held', wave);
try {
  const started = Date.now();
  await churn.run(Number(values.warmup));
  const baseline = await settledHeap(gc);
  if (values.snapshots) console.log(`snapshot ${writeHeapSnapshot(join(values.snapshots, 'baseline.heapsnapshot'))}`);
  console.log(`after ${values.warmup} warm-up cycles: ${mib(baseline.used)} MiB, ${mib(baseline.data)} MiB of it not code or bytecode`);
  let cycles = 0;
  for (const step of values.steps.split(',').map(Number)) {
    await churn.run(step);
    cycles += step;
    const heap = await settledHeap(gc);
    const grown = heap.data - baseline.data;
    console.log(
      `+${cycles} cycles: ${mib(heap.used)} MiB (${mib(heap.used - baseline.used)} more); not code or bytecode: ${mib(heap.data)} MiB (${mib(grown)} more, ${(grown / cycles).toFixed(0)} B a cycle)`,
    );
  }
  if (values.snapshots) console.log(`snapshot ${writeHeapSnapshot(join(values.snapshots, 'after.heapsnapshot'))}`);
  console.log(`holder frames: ${churn.holderFrames}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  churn.close();
  await set.close();
}
