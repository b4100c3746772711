import { availableParallelism } from 'node:os';

export const SCENARIOS = ['join', 'idle', 'fanout', 'rooms', 'recovery'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  only: ScenarioName[];
  quick: boolean;
  /** Load-generator threads. */
  workers: number;
  /** Also measure our replicas on Deno (idle). */
  deno: boolean;
}

/** Load-generator threads at most: far past what 2–16 cores can use, far below what exhausts memory. */
const MAX_WORKERS = 64;

const USAGE = `usage: npm run bench -- [--only ${SCENARIOS.join(',')}] [--quick] [--workers N] [--deno]`;

export function parseOptions(args: string[]): BenchOptions {
  const options: BenchOptions = { only: [...SCENARIOS], quick: false, workers: availableParallelism(), deno: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    const value = (): string => inline ?? args[++i] ?? fail(`${flag} needs a value`);
    if (flag === '--only') {
      const names = value().split(',').map((s) => s.trim()).filter(Boolean);
      for (const name of names) if (!(SCENARIOS as readonly string[]).includes(name)) fail(`unknown scenario ${name}`);
      options.only = SCENARIOS.filter((s) => names.includes(s));
    } else if (flag === '--quick') {
      options.quick = true;
    } else if (flag === '--deno') {
      options.deno = true;
    } else if (flag === '--workers') {
      options.workers = Number(value());
      // Each thread is a V8 isolate: 99,999 of them ran the bench out of memory before it measured anything.
      if (!Number.isInteger(options.workers) || options.workers < 1 || options.workers > MAX_WORKERS) {
        fail(`--workers takes a whole number from 1 to ${MAX_WORKERS}`);
      }
    } else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      fail(`unknown argument ${arg}`);
    }
  }
  return options;
}

function fail(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}
