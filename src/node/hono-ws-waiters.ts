import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * @hono/node-ws keeps every upgrade the app accepts as a waiter in a map keyed
 * by the request, and deletes it only when ws emits `connection`, or in its
 * own upgrade listener when the app did not accept:
 * https://github.com/honojs/middleware/blob/main/packages/node-ws/src/index.ts
 * A request ws then refuses (or whose socket closes first) would keep its
 * waiter, and all it holds, for ever. The map is private, so this runs that
 * listener of its, on an emitter of ours, whose app accepts nothing: it
 * deletes the request's waiter.
 */
export function waiterReleaser(
  injectWebSocket: (server: Server) => void,
  failed: (context: object) => void,
): (request: IncomingMessage) => void {
  const releaser = new EventEmitter({ captureRejections: true });
  releaser.on('error', (err: unknown) => failed({ err }));
  injectWebSocket(releaser as unknown as Server);
  const discard = { end: () => undefined } as unknown as Duplex;
  return (request) => {
    releaser.emit('upgrade', request, discard, Buffer.alloc(0));
  };
}
