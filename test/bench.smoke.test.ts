import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, unlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { redisAvailable } from './support/redis-server.ts';

/** Processes of a bench still running: its Socket.IO servers, its reaper, replicas started from it. */
function benchProcesses(): string[] {
  try {
    return execFileSync('pgrep', ['-af', 'bench/(socketio-server|reaper)\\.ts'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * `npm run bench` is for people, not CI, but it must keep working: its
 * smallest run (rooms, --quick: both systems, their Redis, the load generator)
 * prints its table, writes its JSON, and leaves nothing running.
 */
describe.runIf(redisAvailable())('npm run bench', () => {
  it('runs rooms --quick against Socket.IO and ours, prints the table and the JSON path, and leaves no process', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', '--quick', '--only', 'rooms'], { encoding: 'utf8', timeout: 120_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/\[rooms\] Socket\.IO 400 × 5, 200 msg\/s: \d+ deliveries, p99 [\d.]+ ms, lost 0, doubled 0/);
    expect(output).toMatch(/\[rooms\] ours 400 × 5, 200 msg\/s: \d+ deliveries, p99 [\d.]+ ms, lost 0, doubled 0/);
    expect(output).toMatch(/^figure +\| Socket\.IO \| ours \| ratio \| target \| met\?$/m);
    expect(output).toMatch(/^rooms: Redis CPU %/m);
    const results = /raw figures: (\S+\.json)/.exec(output)?.[1];
    expect(results && existsSync(results), output).toBe(true);
    unlinkSync(results!);
    expect(benchProcesses()).toEqual([]);
  }, 150_000);

  it('refuses a bad argument with its usage and exit code 2, before starting anything: 0 or 65 threads, an unknown scenario or flag', () => {
    for (const args of [['--workers', '0'], ['--workers', '65'], ['--only', 'nope'], ['--bogus']]) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...args], { encoding: 'utf8', timeout: 30_000 });
      expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(`${run.stdout}${run.stderr}`).toMatch(/^bench: .+\nusage: npm run bench/m);
    }
    expect(benchProcesses()).toEqual([]);
  }, 60_000);
});
