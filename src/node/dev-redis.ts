import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `--keep` keeps Redis's data: in the project, ignored by git. */
export const KEPT_DATA_DIR = fileURLToPath(new URL('../../.dev-data/', import.meta.url));

const LOCK_FILE = 'launcher.pid';

/** A directory for the launcher's redis-server, and what to do with it when that has stopped. */
export interface RedisDataDir {
  readonly path: string;
  /** redis-server's options for this directory. */
  readonly redisArgs: string[];
  /** Called once redis-server is ready. */
  redisStarted(): void;
  /** Removes what must not outlive the launcher; synchronous, so it can run in an 'exit' handler. */
  release(): void;
}

/**
 * A fresh directory, removed as soon as Redis has started in it: Redis
 * writes nothing there (no RDB, no append-only file), so even a launcher
 * killed outright leaves no directory behind. tsx's CLI does that to a child
 * that acknowledges a relayed SIGINT/SIGTERM later than 30 ms, as a busy
 * machine makes it: relaySignals in
 * https://github.com/privatenumber/tsx/blob/master/src/cli.ts
 */
export function throwawayDataDir(): RedisDataDir {
  const path = mkdtempSync(join(tmpdir(), 'chat-dev-redis-'));
  const release = () => rmSync(path, { recursive: true, force: true });
  return { path, redisArgs: ['--dir', path, '--save', '', '--appendonly', 'no'], redisStarted: release, release };
}

/** Thrown when another launcher with --keep is using .dev-data/: two redis-servers must not share one append-only file. */
export class DataDirBusyError extends Error {}

/**
 * .dev-data/, with Redis's append-only file (written every second and on
 * shutdown) read back at the next start; held with a pid file while in use.
 */
export function keptDataDir(path: string): RedisDataDir {
  mkdirSync(path, { recursive: true });
  const lock = join(path, LOCK_FILE);
  for (;;) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new DataDirBusyError(`${path} is in use by another npm run dev --keep (pid ${holder}): stop that one first, or run without --keep`);
      }
      rmSync(lock, { force: true });
    }
  }
  return {
    path,
    redisArgs: ['--dir', path, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'],
    redisStarted: () => {},
    release: () => rmSync(lock, { force: true }),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
