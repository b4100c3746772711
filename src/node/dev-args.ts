import { resolve } from 'node:path';
import { KEPT_DATA_DIR } from './dev-redis.ts';

/** What `npm run dev -- …` was asked for. */
export interface DevArgs {
  /** Where Redis keeps its data across restarts (.dev-data/ for a bare --keep); absent: a throwaway Redis. */
  keep: string | undefined;
  replicas: number;
  help: boolean;
}

export const MAX_REPLICAS = 16;

export const DEV_USAGE = `usage: npm run dev -- [--keep[=DIR]] [--replicas N]   (DIR defaults to .dev-data/; N from 1 to ${MAX_REPLICAS}, default 2; PORT, HOST and the other variables as for npm start)`;

/** A command line that cannot be run; its message is one line, shown before the usage line. */
export class DevUsageError extends Error {}

export function parseDevArgs(argv: readonly string[]): DevArgs {
  const args: DevArgs = { keep: undefined, replicas: 2, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--keep') args.keep = keptDir(inline);
    else if ((flag === '--help' || flag === '-h') && inline === undefined) args.help = true;
    else if (flag === '--replicas') args.replicas = replicaCount(inline ?? argv[++i]);
    else throw new DevUsageError(`unknown option ${JSON.stringify(arg)}`);
  }
  return args;
}

function replicaCount(value: string | undefined): number {
  if (value === undefined) throw new DevUsageError('--replicas needs a number');
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > MAX_REPLICAS) {
    throw new DevUsageError(`--replicas ${JSON.stringify(value)} is not valid: expected a whole number from 1 to ${MAX_REPLICAS}`);
  }
  return Number(value);
}

function keptDir(value: string | undefined): string {
  if (value === undefined) return KEPT_DATA_DIR;
  if (value === '') throw new DevUsageError('--keep= needs a directory, or no "=" for .dev-data/');
  return resolve(value);
}
