import type { Logger } from '../room/index.ts';

/** The whole shutdown must fit in this, or the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 10_000;

/** On SIGTERM or SIGINT: close everything once (members get 1012), then exit 0. */
export function exitOnSignals(close: () => Promise<void>, log: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: closing members with 1012');
    const timer = setTimeout(() => {
      log.error({ limitMs: SHUTDOWN_LIMIT_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    timer.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
