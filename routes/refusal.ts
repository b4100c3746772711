import type { Context } from 'hono';
import { ProtocolError } from '../src/protocol/index.ts';
import type { Logger } from '../src/logger.ts';

/** Every refusal and failure leaves as the protocol's JSON error body. */
export function createErrorHandler(log: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof ProtocolError) {
      return c.json(err.toBody(), err.status as 400);
    }
    log.error({ err, path: c.req.path }, 'request failed');
    return c.json({ error: { code: 'internal', message: 'internal server error' } }, 500);
  };
}
