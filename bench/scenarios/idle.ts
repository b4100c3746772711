import type { SystemName } from '../cluster.ts';
import { measureCpu } from '../cpu.ts';
import { type CpuFigures, type ScenarioContext, cpuFigures, describeCpu, membersIn, progress, requireAllConnected, withCluster } from './context.ts';

export interface IdleFigure extends CpuFigures {
  connections: number;
  roomSize: number;
  /** Growth of the two replicas' RSS, together, per connection, in bytes. */
  rssPerConnection: number;
  connectsPerSecond: number;
  /** Replica CPU per connection while connecting, in microseconds. */
  serverCpuPerConnectUs: number;
}

const ROOM_SIZE = 10;
const IN_FLIGHT = 100;
/** Time for the replicas to finish what connecting started (timers, buffers, a GC) before RSS is read. */
const SETTLE_MS = 5000;

/** Many members in rooms of 10, connected then left idle: memory per connection, connects/s, CPU per connect. */
export async function runIdle(ctx: ScenarioContext): Promise<Partial<Record<SystemName, IdleFigure>>> {
  const connections = ctx.quick ? 1000 : 10_000;
  const rooms = Array.from({ length: connections / ROOM_SIZE }, (_, i) => `idle-${i}`);
  const results: Partial<Record<SystemName, IdleFigure>> = {};
  for (const system of ctx.systems) {
    const figure = await withCluster(ctx, system, {}, async (cluster) => {
      await new Promise((r) => setTimeout(r, SETTLE_MS / 2));
      const rssBefore = cluster.serversRss();
      const members = membersIn(rooms, ROOM_SIZE, cluster.ports);
      const stop = measureCpu(cluster.serverPids, cluster.redisPid);
      const answer = await ctx.load.connect(system, members, IN_FLIGHT);
      const cpu = cpuFigures(stop());
      requireAllConnected(answer, connections);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const rssAfter = cluster.serversRss();
      return {
        connections,
        roomSize: ROOM_SIZE,
        rssPerConnection: (rssAfter - rssBefore) / connections,
        connectsPerSecond: connections / cpu.wallSeconds,
        serverCpuPerConnectUs: (cpu.serverCpuSeconds / connections) * 1e6,
        ...cpu,
      };
    });
    progress(
      'idle',
      system,
      `${connections} connections: ${(figure.rssPerConnection / 1024).toFixed(1)} KiB RSS each, ` +
        `${Math.round(figure.connectsPerSecond)} connects/s, ${Math.round(figure.serverCpuPerConnectUs)} µs CPU each; ${describeCpu(figure)}`,
    );
    results[system] = figure;
  }
  return results;
}
