import type { Cluster, SystemName } from '../cluster.ts';
import { measureCpu } from '../cpu.ts';
import { collectGarbage } from '../inspector-gc.ts';
import { type CpuFigures, type ScenarioContext, cpuFigures, describeCpu, membersIn, progress, requireAllConnected, withCluster } from './context.ts';

export interface IdleFigure extends CpuFigures {
  connections: number;
  roomSize: number;
  /**
   * Growth of the two replicas' RSS, together, per connection, in bytes, 5 s
   * after the last member connected, without a forced GC: what a replica
   * holds then, the connect storm's garbage not yet collected included.
   */
  rssPerConnectionSettled: number;
  /** The same growth once a full GC has run in each replica: what the idle connections retain. */
  rssPerConnectionAfterGc: number;
  /** The two replicas' RSS, together, in bytes: before connecting (after a full GC), 5 s after, and after a full GC again. */
  rssBaseline: number;
  rssSettled: number;
  rssAfterGc: number;
  connectsPerSecond: number;
  /** Replica CPU per connection while connecting, in microseconds. */
  serverCpuPerConnectUs: number;
}

const ROOM_SIZE = 10;
const IN_FLIGHT = 100;
/** Time for the replicas to finish what connecting started (timers, buffers, a GC of their own) before RSS is read. */
const SETTLE_MS = 5000;
/**
 * RSS is read this soon after a forced GC: measured here, it was the same
 * right after the GC and 250 ms later, and then grew again with the servers'
 * own allocations (by up to 22 MB in 3 s in one replica holding 5,000
 * members), which would mix new garbage back into the reading.
 */
const AFTER_GC_MS = 100;

/** Many members in rooms of 10, connected then left idle: memory per connection, connects/s, CPU per connect. */
export async function runIdle(ctx: ScenarioContext): Promise<Partial<Record<SystemName, IdleFigure>>> {
  const connections = ctx.quick ? 1000 : 10_000;
  const rooms = Array.from({ length: connections / ROOM_SIZE }, (_, i) => `idle-${i}`);
  const results: Partial<Record<SystemName, IdleFigure>> = {};
  for (const system of ctx.systems) {
    // Inspectors for this scenario only: a GC is forced the same way in every system's replicas.
    const figure = await withCluster(
      ctx,
      system,
      {},
      async (cluster): Promise<IdleFigure> => {
        await sleep(SETTLE_MS / 2);
        const rssBaseline = await rssAfterFullGc(cluster);
        const members = membersIn(rooms, ROOM_SIZE, cluster.ports);
        const stop = measureCpu(cluster.serverPids, cluster.redisPid);
        const answer = await ctx.load.connect(system, members, IN_FLIGHT);
        const cpu = cpuFigures(stop());
        requireAllConnected(answer, connections);
        await sleep(SETTLE_MS);
        const rssSettled = cluster.serversRss();
        const rssAfterGc = await rssAfterFullGc(cluster);
        return {
          connections,
          roomSize: ROOM_SIZE,
          rssPerConnectionSettled: (rssSettled - rssBaseline) / connections,
          rssPerConnectionAfterGc: (rssAfterGc - rssBaseline) / connections,
          rssBaseline,
          rssSettled,
          rssAfterGc,
          connectsPerSecond: connections / cpu.wallSeconds,
          serverCpuPerConnectUs: (cpu.serverCpuSeconds / connections) * 1e6,
          ...cpu,
        };
      },
      { inspect: true },
    );
    const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
    progress(
      'idle',
      system,
      `${connections} connections: RSS each ${kib(figure.rssPerConnectionSettled)} KiB settled 5 s, ` +
        `${kib(figure.rssPerConnectionAfterGc)} KiB after a full GC; ` +
        `${Math.round(figure.connectsPerSecond)} connects/s, ${Math.round(figure.serverCpuPerConnectUs)} µs CPU each; ${describeCpu(figure)}`,
    );
    results[system] = figure;
  }
  return results;
}

/** The replicas' RSS, together, once each has run a full GC. */
async function rssAfterFullGc(cluster: Cluster): Promise<number> {
  await Promise.all(cluster.inspectorPorts.map(collectGarbage));
  await sleep(AFTER_GC_MS);
  return cluster.serversRss();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
