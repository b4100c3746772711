import type { SystemName } from '../cluster.ts';
import { measureCpu } from '../cpu.ts';
import { type CpuFigures, type ScenarioContext, cpuFigures, describeCpu, membersIn, progress, requireAllConnected, withCluster } from './context.ts';

export interface JoinFigure extends CpuFigures {
  members: number;
  /** From the first connect to the last welcome. */
  seconds: number;
}

/** How many members connect at once, across the generator's threads. */
const IN_FLIGHT = 100;

/**
 * Socket.IO joins the smaller room only: the chat sends `join` to every member
 * already there (as ours does up to PRESENCE_LIMIT, 1,000, and then sends a
 * `count` a second instead), so 5,000 members take it about 25 times 1,000's
 * time here, minutes of the run, for a figure no target reads.
 */
export function joinSizes(quick: boolean, system: SystemName = 'ours'): number[] {
  const sizes = quick ? [200, 1000] : [1000, 5000];
  return system === 'socketio' ? sizes.slice(0, 1) : sizes;
}

/** N members connect into one room, 100 in flight: wall time to the last welcome, and CPU. */
export async function runJoin(ctx: ScenarioContext): Promise<Partial<Record<SystemName, JoinFigure[]>>> {
  const results: Partial<Record<SystemName, JoinFigure[]>> = {};
  for (const system of ctx.systems.filter((s) => s !== 'deno')) {
    for (const n of joinSizes(ctx.quick, system)) {
      const figure = await withCluster(ctx, system, {}, async (cluster) => {
        const members = membersIn(['join'], n, cluster.ports);
        const stop = measureCpu(cluster.serverPids, cluster.redisPid);
        const start = performance.now();
        const answer = await ctx.load.connect(system, members, IN_FLIGHT);
        const seconds = (performance.now() - start) / 1000;
        const cpu = cpuFigures(stop());
        requireAllConnected(answer, n);
        return { members: n, seconds, ...cpu };
      });
      progress('join', system, `${n} members: ${figure.seconds.toFixed(2)} s; ${describeCpu(figure)}`);
      (results[system] ??= []).push(figure);
    }
  }
  return results;
}
