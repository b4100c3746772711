import type { SystemName } from '../cluster.ts';
import { type CpuUse, measureCpu } from '../cpu.ts';
import { percentile } from '../latency.ts';
import type { LoadGenerator } from '../load.ts';
import { type CpuFigures, type ScenarioContext, cpuFigures, describeCpu, membersIn, progress, requireAllConnected, withCluster } from './context.ts';

export interface FanoutStep extends CpuFigures {
  /** Messages a second asked of the senders, in total. */
  rate: number;
  sent: number;
  delivered: number;
  expected: number;
  lost: number;
  doubled: number;
  p50Ms: number;
  p99Ms: number;
  /** Replica CPU seconds per million deliveries. */
  serverCpuPerMillion: number;
  /** p99 at most 100 ms, nothing lost or doubled, every ask sent. */
  clean: boolean;
}

export interface FanoutResult {
  members: number;
  senders: number;
  steps: FanoutStep[];
}

export const FANOUT_RATES = [40, 100, 200, 400, 800, 1600];
/** Our server closes a member sending over 100 frames a second (docs/protocol.md); 32 senders keep 1,600 msg/s at 50 each. */
const SENDERS = 32;
const P99_LIMIT_MS = 100;

/** One room; its members split over both replicas; rising rates until p99 > 100 ms or any loss. */
export async function runFanout(ctx: ScenarioContext): Promise<Partial<Record<SystemName, FanoutResult>>> {
  const size = ctx.quick ? 200 : 1000;
  const stepMs = ctx.quick ? 2000 : 5000;
  const results: Partial<Record<SystemName, FanoutResult>> = {};
  for (const system of ctx.systems.filter((s) => s !== 'deno')) {
    results[system] = await withCluster(ctx, system, {}, async (cluster) => {
      const members = membersIn(['fanout'], size, cluster.ports);
      requireAllConnected(await ctx.load.connect(system, members, 100), size);
      // Sender k is member k: they alternate between the replicas and the generator's threads.
      const senders = members.slice(0, SENDERS).map((m) => m.index);
      const steps: FanoutStep[] = [];
      for (const rate of FANOUT_RATES) {
        const step = await fanoutStep(ctx.load, senders, size, rate, stepMs, () => measureCpu(cluster.serverPids, cluster.redisPid));
        steps.push(step);
        progress(
          'fanout',
          system,
          `${size} members, ${rate} msg/s: ${step.delivered} deliveries, ${step.serverCpuPerMillion.toFixed(2)} s CPU per million, ` +
            `p50 ${step.p50Ms} ms, p99 ${step.p99Ms} ms, lost ${step.lost}, doubled ${step.doubled}; ${describeCpu(step)}`,
        );
        if (!step.clean) break;
      }
      return { members: size, senders: senders.length, steps };
    });
  }
  return results;
}

async function fanoutStep(
  load: LoadGenerator,
  senders: number[],
  size: number,
  rate: number,
  stepMs: number,
  startCpu: () => () => CpuUse,
): Promise<FanoutStep> {
  await load.startStep();
  const stop = startCpu();
  const sentCounts = await load.send(senders, rate, stepMs);
  const sent = sentCounts.reduce((n, s) => n + s.sent, 0);
  const expected = sent * (size - 1);
  await load.drain(expected);
  const cpu = cpuFigures(stop());
  const report = await load.report(sentCounts);
  const p99Ms = percentile(report.histogram, 0.99);
  const asked = Math.floor((rate * stepMs) / 1000);
  return {
    rate,
    sent,
    delivered: report.delivered,
    expected,
    lost: report.lost,
    doubled: report.doubled,
    p50Ms: percentile(report.histogram, 0.5),
    p99Ms,
    serverCpuPerMillion: (cpu.serverCpuSeconds / Math.max(1, report.delivered)) * 1e6,
    clean: p99Ms <= P99_LIMIT_MS && report.lost === 0 && report.doubled === 0 && report.closed === 0 && sent >= asked * 0.98,
    ...cpu,
  };
}
