import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU seconds a process (all its threads) has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident memory in bytes, from /proc/<pid>/status (VmRSS). */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

export interface CpuUse {
  /** CPU seconds of the system's server processes, together. */
  servers: number;
  redis: number;
  /** The bench process itself, its load-generator threads included. */
  generator: number;
  wallSeconds: number;
}

/** CPU used by the given processes and by the bench from now until the returned function is called. */
export function measureCpu(serverPids: number[], redisPid: number): () => CpuUse {
  const servers0 = serverPids.map(cpuSeconds);
  const redis0 = cpuSeconds(redisPid);
  const self0 = process.cpuUsage();
  const wall0 = performance.now();
  return () => {
    const self = process.cpuUsage(self0);
    return {
      servers: serverPids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - servers0[i]!, 0),
      redis: cpuSeconds(redisPid) - redis0,
      generator: (self.user + self.system) / 1e6,
      wallSeconds: (performance.now() - wall0) / 1000,
    };
  };
}

/** The generator's CPU as a share of one core over the window, e.g. "gen 85% of a core". */
export function generatorShare(use: CpuUse): number {
  return use.generator / use.wallSeconds;
}
