/**
 * Time to ready and idle RSS of one replica (the in-memory broker), as the
 * README states them: the built server on plain Node (itself, and through
 * `npm start`) against the sources through tsx, each started --runs times
 * (default 5), one at a time.
 *
 *   npx tsx scripts/startup-figures.ts [--runs 5]
 *
 * Ready is the time from spawn to the "listening on" line; RSS is VmRSS
 * (/proc/<pid>/status) 2 s after that, with nothing connected, summed over
 * the process and its children (npm, under `npm start`).
 * Each start is preceded by a 1 s pause, so that one start's leftovers do not
 * weigh on the next. Run it on an otherwise idle machine.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const ROOT = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);

const WAYS: Record<string, [string, string[]]> = {
  'node dist/server/main.js': [process.execPath, ['dist/server/main.js']],
  'npm start': ['npm', ['start']],
  'sources through tsx': [process.execPath, ['--import', 'tsx', 'src/node/main.ts']],
};

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** The process and every process under it. */
function tree(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return [pid, ...(children ? children.split(' ').map(Number).flatMap(tree) : [])];
}

async function once(command: string, args: string[]): Promise<{ readyS: number; rssMb: number; processes: number }> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const readyS = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      if (out.includes('listening on')) resolve((performance.now() - started) / 1000);
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before listening:\n${out}`)));
  });
  await new Promise((r) => setTimeout(r, 2000));
  // Under npm start, npm stays as the server's parent: its memory counts too.
  const pids = tree(child.pid!);
  const result = { readyS, rssMb: pids.reduce((sum, pid) => sum + rssMb(pid), 0), processes: pids.length };
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return result;
}

const range = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
for (const [label, [command, args]] of Object.entries(WAYS)) {
  const results = [];
  for (let i = 0; i < runs; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const r = await once(command, args);
    results.push(r);
    console.error(`${label}: run ${i + 1}/${runs}: ready in ${r.readyS.toFixed(2)} s, ${r.rssMb.toFixed(0)} MB RSS, ${r.processes} process(es)`);
  }
  console.log(`${label}: ready in ${range(results.map((r) => r.readyS), 2)} s, ${range(results.map((r) => r.rssMb), 0)} MB RSS, ${results[0]!.processes} process(es) (${runs} runs)`);
}
