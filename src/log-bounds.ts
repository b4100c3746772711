import type { Logger } from './logger.ts';

/** What a logged URL keeps: its path, never the query, at most this long. */
const LOGGED_PATH_LENGTH = 200;
/** Lines a second one message may write; the rest are counted. */
const LOG_LINES_PER_SECOND = 5;
/** Refusal kinds are a closed set (status and code, or close code); past this many, the rest share one bound. */
const MAX_REFUSAL_KINDS = 64;

type Level = 'info' | 'warn' | 'error';

/** A request's path as a log line may hold it: no query, bounded. */
export function loggablePath(url: string | undefined): string {
  const path = url ?? '';
  const query = path.indexOf('?');
  return (query === -1 ? path : path.slice(0, query)).slice(0, LOGGED_PATH_LENGTH);
}

/**
 * Logs `message` at most LOG_LINES_PER_SECOND times a second, so that a
 * client repeating one bad request cannot fill the disk. What was dropped is
 * counted: the next line says how many (`suppressed`), or, when none comes
 * within the second, a line of its own does, with `kind`'s fields.
 */
export function throttledLog(log: Logger, message: string, level: Level = 'error', kind: object = {}): (context: object) => void {
  let windowStart = 0;
  let written = 0;
  let suppressed = 0;
  let report: ReturnType<typeof setTimeout> | undefined;
  const reportSuppressed = () => {
    report = undefined;
    if (suppressed === 0) return;
    log[level]({ ...kind, suppressed }, message);
    suppressed = 0;
  };
  return (context) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      written = 0;
    }
    if (written >= LOG_LINES_PER_SECOND) {
      suppressed++;
      if (report === undefined) report = unrefTimer(setTimeout(reportSuppressed, windowStart + 1000 - now));
      return;
    }
    written++;
    if (report !== undefined) clearTimeout(report);
    report = undefined;
    log[level](suppressed > 0 ? { ...context, suppressed } : context, message);
    suppressed = 0;
  };
}

/** A pending report must not keep a process alive that is otherwise done. */
function unrefTimer(timer: ReturnType<typeof setTimeout>): ReturnType<typeof setTimeout> {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** A refusal as its info line: what was refused, of whom; never a token, a query or a message's text. */
export interface RefusalLine {
  /** The HTTP status of a refused request; absent for a member closed for cause. */
  status?: number;
  /** The protocol's error code (`rate_limited`), or the close code (1008). */
  code: string | number;
  room?: string;
  /** The client address, as MAX_CONNECTIONS_PER_IP counts it. */
  address?: string;
  [field: string]: unknown;
}

const refusalLogs = new WeakMap<Logger, Map<string, (context: object) => void>>();

/**
 * Logs a refusal at info, at most LOG_LINES_PER_SECOND lines a second per
 * kind (status and code) in the whole process, whichever part refused:
 * a hostile client's 20,000 refused upgrades a second are a few lines.
 */
export function logRefusal(log: Logger, message: string, line: RefusalLine): void {
  let kinds = refusalLogs.get(log);
  if (!kinds) refusalLogs.set(log, (kinds = new Map()));
  let kind = `${message} ${line.status ?? ''} ${line.code}`;
  if (!kinds.has(kind) && kinds.size >= MAX_REFUSAL_KINDS) kind = 'other';
  let write = kinds.get(kind);
  if (!write) {
    const fields = kind === 'other' ? {} : line.status === undefined ? { code: line.code } : { status: line.status, code: line.code };
    kinds.set(kind, (write = throttledLog(log, message, 'info', fields)));
  }
  write(line);
}
