import type { Logger } from '../logger.ts';
import type { ServerHost } from './host.ts';

/** The whole shutdown must fit in this, or the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 10_000;

/** On SIGTERM or SIGINT: close everything once (members get 1012), then exit 0; 1 if that fails or takes too long. */
export function exitOnSignals(host: ServerHost, close: () => Promise<void>, log: Logger): void {
  let stopping = false;
  host.onStopSignal((signal) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: closing members with 1012');
    setTimeout(() => {
      log.error({ limitMs: SHUTDOWN_LIMIT_MS }, 'shutdown took too long; exiting');
      host.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    close().then(
      () => host.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        host.exit(1);
      },
    );
  });
}
