import type { SystemName } from '../cluster.ts';
import { measureCpu } from '../cpu.ts';
import { percentile } from '../latency.ts';
import { type CpuFigures, type ScenarioContext, cpuFigures, describeCpu, membersIn, progress, requireAllConnected, withCluster } from './context.ts';

export interface RoomsFigure extends CpuFigures {
  rooms: number;
  roomSize: number;
  rate: number;
  sent: number;
  delivered: number;
  lost: number;
  doubled: number;
  p99Ms: number;
  /** Replica CPU (both together) and Redis CPU while sending, as % of one core. */
  serverCpuPercent: number;
  redisCpuPercent: number;
}

const ROOM_SIZE = 5;

/** Many small rooms, one sender in each, a steady total rate: replica and Redis CPU. */
export async function runRooms(ctx: ScenarioContext): Promise<Partial<Record<SystemName, RoomsFigure>>> {
  const roomCount = ctx.quick ? 400 : 2000;
  const rate = ctx.quick ? 200 : 1000;
  const durationMs = ctx.quick ? 3000 : 10_000;
  const rooms = Array.from({ length: roomCount }, (_, i) => `rooms-${i}`);
  const results: Partial<Record<SystemName, RoomsFigure>> = {};
  for (const system of ctx.systems.filter((s) => s !== 'deno')) {
    const figure = await withCluster(ctx, system, {}, async (cluster) => {
      const members = membersIn(rooms, ROOM_SIZE, cluster.ports);
      requireAllConnected(await ctx.load.connect(system, members, 100), members.length);
      const senders = members.filter((_, i) => i % ROOM_SIZE === 0).map((m) => m.index);
      await ctx.load.startStep();
      const stop = measureCpu(cluster.serverPids, cluster.redisPid);
      const sentCounts = await ctx.load.send(senders, rate, durationMs);
      const sent = sentCounts.reduce((n, s) => n + s.sent, 0);
      await ctx.load.drain(sent * (ROOM_SIZE - 1));
      const cpu = cpuFigures(stop());
      const report = await ctx.load.report(sentCounts);
      return {
        rooms: roomCount,
        roomSize: ROOM_SIZE,
        rate,
        sent,
        delivered: report.delivered,
        lost: report.lost,
        doubled: report.doubled,
        p99Ms: percentile(report.histogram, 0.99),
        serverCpuPercent: (100 * cpu.serverCpuSeconds) / cpu.wallSeconds,
        redisCpuPercent: (100 * cpu.redisCpuSeconds) / cpu.wallSeconds,
        ...cpu,
      };
    });
    progress(
      'rooms',
      system,
      `${roomCount} × ${ROOM_SIZE}, ${rate} msg/s: ${figure.delivered} deliveries, p99 ${figure.p99Ms} ms, lost ${figure.lost}, ` +
        `doubled ${figure.doubled}; ${describeCpu(figure)}`,
    );
    results[system] = figure;
  }
  return results;
}
