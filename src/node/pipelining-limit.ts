import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { logRefusal } from '../log-bounds.ts';
import type { Logger } from '../logger.ts';

/** Requests one connection may have in flight at once; browsers and fetch clients never pipeline. */
const MAX_IN_FLIGHT_PER_CONNECTION = 4;

/**
 * Node answers pipelined requests in order and keeps every answer not yet
 * written in memory, with no bound: one connection that sent a thousand
 * history requests in one write and never read held 1.6 GB and crashed the
 * replica. A connection with more than a few requests in flight is cut, and
 * requests that arrive on a cut connection do no work.
 */
export function pipeliningLimit(log: Logger): MiddlewareHandler {
  const inFlight = new WeakMap<Socket, number>();
  return async (c, next) => {
    const { incoming, outgoing } = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse };
    // Upgrades come through the app without a response object; they are one request per connection.
    if (!incoming || !outgoing) return next();
    const socket = incoming.socket;
    if (socket.destroyed) return c.body(null, 503);
    const count = (inFlight.get(socket) ?? 0) + 1;
    if (count > MAX_IN_FLIGHT_PER_CONNECTION) {
      // The connection's address: behind a proxy that is the proxy's (the request that would name the client is not read).
      logRefusal(log, 'connection cut', { status: 503, code: 'overloaded', reason: `more than ${MAX_IN_FLIGHT_PER_CONNECTION} requests in flight on one connection`, address: socket.remoteAddress });
      socket.destroy();
      return c.body(null, 503);
    }
    inFlight.set(socket, count);
    outgoing.once('close', () => inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1));
    await next();
  };
}
