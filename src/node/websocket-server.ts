import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Hono, type Context } from 'hono';
import type { WSEvents } from 'hono/ws';
import { createNodeWebSocket } from '@hono/node-ws';
import type { WebSocket } from 'ws';
import type { Config } from '../config/config.ts';
import { ProtocolError } from '../protocol/index.ts';
import type { Logger } from '../room/index.ts';
import { loggablePath, throttledLog } from '../log-bounds.ts';
import { waiterReleaser } from './hono-ws-waiters.ts';
import { watchLiveness } from './liveness.ts';

export type NodeSocketOptions = Pick<Config, 'maxFrameBytes' | 'pingIntervalMs' | 'idleTimeoutMs'>;

/**
 * WebSockets for Node through @hono/node-ws, with what it leaves out:
 * refusals keep their JSON body (its own upgrade listener sends an empty one),
 * `ws` enforces the frame limit (its default would buffer 100 MiB), no
 * accepted upgrade is kept after its socket closes, and members are pinged.
 */
export function createNodeWebSockets(app: Hono, options: NodeSocketOptions, log: Logger) {
  // Its own app is used only by the listener that releases waiters (below), and accepts nothing.
  const socketFailed = throttledLog(log, 'a member socket failed', 'warn');
  // A client's protocol error (bad UTF-8, a frame too big) reaches this, not
  // the member's onError: @hono/node-ws builds an ErrorEvent for it, which Node
  // before 23 lacks, and hands the ReferenceError here (console.error by
  // default, a stack trace per bad frame):
  // https://github.com/honojs/middleware/blob/main/packages/node-ws/src/index.ts
  const upgradeOptions = { onError: (err: unknown) => socketFailed({ err: err instanceof Error ? err.message : String(err) }) };
  const { wss, upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app: new Hono() });
  // ws reads this per connection; over it, ws closes with 1009 before buffering the rest.
  wss.options.maxPayload = options.maxFrameBytes;
  const upgradeFailed = throttledLog(log, 'upgrade failed');
  const releaseWaiter = waiterReleaser(injectWebSocket, upgradeFailed);
  /** Requests whose waiter ws resolved (and @hono/node-ws deleted). */
  const connected = new WeakSet<IncomingMessage>();
  const liveness = watchLiveness(wss.clients, options);

  async function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const fetchRequest = toFetchRequest(request);
    if (!fetchRequest) {
      return writeResponse(socket, refusal(new ProtocolError('bad_request', 'this request cannot be read as HTTP for an upgrade')));
    }
    const env: Record<string | symbol, unknown> = { incoming: request, outgoing: undefined };
    const response = await app.request(fetchRequest, undefined, env);
    // @hono/node-ws marks an accepted upgrade with a symbol on `env`; without one the app refused.
    if (Object.getOwnPropertySymbols(env).length === 0) return writeResponse(socket, response);
    wss.handleUpgrade(request, socket, head, (ws) => {
      connected.add(request);
      liveness.track(ws);
      wss.emit('connection', ws, request);
    });
  }

  return {
    /** @hono/node-ws's helper, with its waiter released when the connection closes without ws accepting it. */
    upgradeWebSocket(c: Context, events: WSEvents<WebSocket>): Promise<Response> {
      const incoming = (c.env as { incoming: IncomingMessage }).incoming;
      incoming.socket.once('close', () => {
        if (!connected.has(incoming)) releaseWaiter(incoming);
      });
      return upgradeWebSocket(c, events, upgradeOptions);
    },
    /** Calls `ended` when the request's TCP connection closes, whether or not it became a WebSocket. */
    onConnectionEnd(c: Context, ended: () => void): void {
      (c.env as { incoming: IncomingMessage }).incoming.socket.once('close', ended);
    },
    attach(server: Server): void {
      server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        onUpgrade(request, socket, head).catch((err: unknown) => {
          upgradeFailed({ err, path: loggablePath(request.url) });
          socket.destroy();
        });
      });
    },
    /** Drops every socket at once and stops pinging, for the end of a shutdown. */
    terminateAll(): void {
      liveness.stop();
      for (const ws of wss.clients) ws.terminate();
    },
    get openSockets(): number {
      return wss.clients.size;
    },
  };
}

/** The upgrade as a fetch Request; undefined for what fetch cannot express (a TRACE, an unparseable URL). */
function toFetchRequest(request: IncomingMessage): Request | undefined {
  const headers = new Headers();
  try {
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.append(key, Array.isArray(value) ? value.join(', ') : value);
    }
    return new Request(new URL(request.url ?? '/', 'http://localhost'), { method: request.method, headers });
  } catch {
    return undefined;
  }
}

function refusal(error: ProtocolError): Response {
  return Response.json(error.toBody(), { status: error.status });
}

/**
 * A refusal, written by hand. Its status and headers are read before its body:
 * @hono/node-server's Response keeps header changes made after it was built
 * (the app's security headers) beside its init, and rebuilds itself from that
 * init, losing them, once the body is read (`getResponseCache` in
 * https://github.com/honojs/node-server/blob/v1.19.19/src/response.ts).
 */
async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  const { status, headers } = response;
  const body = Buffer.from(await response.arrayBuffer());
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
  headers.forEach((value, key) => {
    if (key !== 'content-length' && key !== 'connection') head.push(`${key}: ${value}`);
  });
  head.push(`Content-Length: ${body.length}`, 'Connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(head.join('\r\n')), body]));
}
