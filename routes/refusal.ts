import type { Context } from 'hono';
import { routePath } from 'hono/route';
import { ProtocolError, ROOM_PATTERN } from '../src/protocol/index.ts';
import type { Logger } from '../src/logger.ts';
import { loggablePath, logRefusal, throttledLog } from '../src/log-bounds.ts';

/** The address a request is counted under (MAX_CONNECTIONS_PER_IP's), where the runtime can tell it. */
export type AddressOf = (c: Context) => string | undefined;

/**
 * Every refusal and failure leaves as the protocol's JSON error body, and
 * is logged: a refusal at info (status, code, room, address, and the route
 * as registered, never the path the client wrote: a token could be in it), a
 * failure at error; each kind at most a few lines a second.
 */
export function createErrorHandler(log: Logger, addressOf: AddressOf = () => undefined) {
  const failed = throttledLog(log, 'request failed');
  return (err: Error, c: Context): Response => {
    if (err instanceof ProtocolError) {
      logRequestRefusal(log, c, addressOf, err.status, err.code, routePath(c));
      return c.json(err.toBody(), err.status as 400);
    }
    failed({ err, path: loggablePath(c.req.path) });
    return c.json({ error: { code: 'internal', message: 'internal server error' } }, 500);
  };
}

/** A refusal answered by a route itself (a 416 for a byte range), logged as the error handler logs one. */
export function createRefusalLog(log: Logger, addressOf: AddressOf) {
  return (c: Context, status: number, code: string): void => logRequestRefusal(log, c, addressOf, status, code, routePath(c));
}

/** No route: 404 `not_found`, logged as a refusal. */
export function createNotFoundHandler(log: Logger, addressOf: AddressOf) {
  return (c: Context): Response => {
    logRequestRefusal(log, c, addressOf, 404, 'not_found', undefined);
    return c.json({ error: { code: 'not_found', message: `no route for ${c.req.path}` } }, 404);
  };
}

function logRequestRefusal(log: Logger, c: Context, addressOf: AddressOf, status: number, code: string, route: string | undefined): void {
  logRefusal(log, 'request refused', {
    status,
    code,
    room: roomOf(c),
    address: addressOf(c),
    method: c.req.method.slice(0, 16),
    route,
  });
}

/** The request's room when it names one that is well-formed; anything else is not the client's to write into a log. */
function roomOf(c: Context): string | undefined {
  let room: string | undefined;
  try {
    room = c.req.param('room');
  } catch {
    return undefined;
  }
  return room !== undefined && ROOM_PATTERN.test(room) ? room : undefined;
}
