import { type Cluster, type ClusterOptions, type SystemName, SYSTEM_LABELS, startCluster } from '../cluster.ts';
import type { CpuUse } from '../cpu.ts';
import type { LoadGenerator } from '../load.ts';
import type { AssignedMember } from '../load-protocol.ts';

/** What every scenario is given. */
export interface ScenarioContext {
  load: LoadGenerator;
  /** The systems compared, Socket.IO first; 'deno' only with --deno, and only where a scenario measures it. */
  systems: SystemName[];
  quick: boolean;
}

/** One progress line per measured step, e.g. `[join] ours 1000 members: 3.20 s …`. */
export function progress(scenario: string, system: SystemName, text: string): void {
  console.log(`[${scenario}] ${SYSTEM_LABELS[system]} ${text}`);
}

/** The CPU figures every step reports: seconds of the two replicas, of Redis, and the generator's share of a core. */
export interface CpuFigures {
  serverCpuSeconds: number;
  redisCpuSeconds: number;
  generatorCpuSeconds: number;
  wallSeconds: number;
}

export function cpuFigures(use: CpuUse): CpuFigures {
  return {
    serverCpuSeconds: use.servers,
    redisCpuSeconds: use.redis,
    generatorCpuSeconds: use.generator,
    wallSeconds: use.wallSeconds,
  };
}

export function describeCpu(cpu: CpuFigures): string {
  const pct = (s: number): string => `${Math.round((100 * s) / cpu.wallSeconds)}%`;
  return `servers ${cpu.serverCpuSeconds.toFixed(2)} s CPU (${pct(cpu.serverCpuSeconds)}), redis ${pct(cpu.redisCpuSeconds)}, generator ${pct(cpu.generatorCpuSeconds)} of a core`;
}

/**
 * A fresh redis-server and two fresh replicas for one measurement, so no
 * scenario inherits another's state; the members are closed and every
 * process stopped afterwards, also on failure.
 */
export async function withCluster<T>(
  ctx: ScenarioContext,
  system: SystemName,
  env: Record<string, string>,
  measure: (cluster: Cluster) => Promise<T>,
  options: ClusterOptions = {},
): Promise<T> {
  const cluster = await startCluster(system, env, options);
  try {
    return await measure(cluster);
  } finally {
    await ctx.load.closeAll();
    await cluster.stop();
  }
}

/** `perRoom` members in each room; a room's members alternate between the two replicas. */
export function membersIn(rooms: string[], perRoom: number, ports: number[]): AssignedMember[] {
  const members: AssignedMember[] = [];
  for (const room of rooms) {
    for (let j = 0; j < perRoom; j++) {
      const index = members.length;
      members.push({ index, port: ports[j % ports.length]!, room, name: `m${index}` });
    }
  }
  return members;
}

/** Fails the scenario when members could not connect: its figures would not be comparable. */
export function requireAllConnected(answer: { connected: number; failed: number; firstError: string | undefined }, wanted: number): void {
  if (answer.connected !== wanted) {
    throw new Error(`${answer.connected} of ${wanted} members connected (${answer.failed} failed, first: ${answer.firstError})`);
  }
}
