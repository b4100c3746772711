import type { Context } from 'hono';
import { ProtocolError } from '../src/protocol/index.ts';
import type { Logger } from '../src/logger.ts';
import { loggablePath, throttledLog } from '../src/log-bounds.ts';

/** Every refusal and failure leaves as the protocol's JSON error body. */
export function createErrorHandler(log: Logger) {
  const failed = throttledLog(log, 'request failed');
  return (err: Error, c: Context): Response => {
    if (err instanceof ProtocolError) {
      return c.json(err.toBody(), err.status as 400);
    }
    failed({ err, path: loggablePath(c.req.path) });
    return c.json({ error: { code: 'internal', message: 'internal server error' } }, 500);
  };
}
