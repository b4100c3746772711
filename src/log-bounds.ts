import type { Logger } from './logger.ts';

/** What a logged URL keeps: its path, never the query, at most this long. */
const LOGGED_PATH_LENGTH = 200;
/** Lines a second one message may write; the rest are counted. */
const LOG_LINES_PER_SECOND = 5;

/** A request's path as a log line may hold it: no query, bounded. */
export function loggablePath(url: string | undefined): string {
  const path = url ?? '';
  const query = path.indexOf('?');
  return (query === -1 ? path : path.slice(0, query)).slice(0, LOGGED_PATH_LENGTH);
}

/**
 * Logs `message` at most LOG_LINES_PER_SECOND times a second, so that a
 * client repeating one bad request cannot fill the disk; a line written after
 * some were dropped says how many.
 */
export function throttledLog(log: Logger, message: string, level: 'warn' | 'error' = 'error'): (context: object) => void {
  let windowStart = 0;
  let written = 0;
  let suppressed = 0;
  return (context) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      written = 0;
    }
    if (written >= LOG_LINES_PER_SECOND) {
      suppressed++;
      return;
    }
    written++;
    log[level](suppressed > 0 ? { ...context, suppressed } : context, message);
    suppressed = 0;
  };
}
