import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Context, Hono } from 'hono';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Config } from '../config/config.ts';
import { ProtocolError } from '../protocol/index.ts';
import type { Logger, MemberSocket } from '../room/index.ts';
import type { SocketEvents } from '../../routes/registry-gateway.ts';
import { acceptedUpgrade } from '../../routes/accepted-upgrade.ts';
import { clientAddress } from '../../routes/client-address.ts';
import { loggablePath, logRefusal, throttledLog } from '../log-bounds.ts';
import { watchLiveness } from './liveness.ts';
import { NodeMemberSocket } from './member-socket.ts';
import { upgradeRequest } from './upgrade-request.ts';

export type NodeSocketOptions = Pick<Config, 'maxFrameBytes' | 'pingIntervalMs' | 'idleTimeoutMs' | 'sendBufferLimit' | 'trustProxy'>;

/** Where the app's upgrade leaves the accepted connection's events, on the request's `env`. */
const ACCEPTED = Symbol('accepted upgrade');
/** A member's socket carries its events, so that one listener of each kind serves every socket. */
const EVENTS = Symbol('socket events');

type UpgradeEnv = { incoming: IncomingMessage; outgoing: undefined; [ACCEPTED]?: SocketEvents };
type MemberWebSocket = WebSocket & { [EVENTS]: SocketEvents };

/**
 * WebSockets for Node on `ws`: every upgrade goes through the app as a fetch
 * Request, and one the app accepts is handed to ws. Refusals keep their JSON
 * body, `ws` enforces the frame limit (its default would buffer 100 MiB), and
 * members are pinged. Nothing of the upgrade request (its Request, Hono
 * Context, IncomingMessage) is kept once the socket is open: a replica holds
 * ten thousands of idle members, and each kept object is paid ten thousand times.
 */
export function createNodeWebSockets(app: Hono, options: NodeSocketOptions, log: Logger) {
  const socketFailed = throttledLog(log, 'a member socket failed', 'warn');
  const upgradeFailed = throttledLog(log, 'upgrade failed');
  // ws reads maxPayload per connection; over it, ws closes with 1009 before buffering the rest.
  // Its own client tracking adds a closure per socket; `clients` below is kept by the shared close listener.
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: options.maxFrameBytes });
  const clients = new Set<WebSocket>();
  const liveness = watchLiveness(clients, options);

  // ws hands a message as one Buffer (its binaryType is left at 'nodebuffer'), already checked as UTF-8 when text.
  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    liveness.heard(this);
    const bytes = data as Buffer;
    if (isBinary) eventsOf(this).binary(bytes.byteLength);
    else eventsOf(this).text(bytes.toString('utf8'));
  }
  function onClose(this: WebSocket, code: number): void {
    clients.delete(this);
    eventsOf(this).close(code);
  }
  // A client's protocol error (bad UTF-8, a frame too big) comes here; ws then closes the socket.
  function onError(this: WebSocket, err: Error): void {
    const code = wsCloseCode(err);
    if (code === undefined) socketFailed({ err: err.message });
    eventsOf(this).error(code === undefined ? undefined : { code, reason: err.message });
  }

  function open(ws: WebSocket, events: SocketEvents): void {
    (ws as MemberWebSocket)[EVENTS] = events;
    clients.add(ws);
    liveness.track(ws);
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', onError);
    events.open(new NodeMemberSocket(ws, options.sendBufferLimit));
  }

  async function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', destroySelf);
    const fetchRequest = upgradeRequest(request);
    if (!fetchRequest) {
      const error = new ProtocolError('bad_request', 'this request cannot be read as HTTP for an upgrade');
      const forwardedFor = request.headers['x-forwarded-for'];
      logRefusal(log, 'request refused', {
        status: error.status,
        code: error.code,
        address: clientAddress(request.socket.remoteAddress, typeof forwardedFor === 'string' ? forwardedFor : undefined, options.trustProxy),
        method: (request.method ?? '').slice(0, 16),
      });
      return writeResponse(socket, refusal(error));
    }
    const env: UpgradeEnv = { incoming: request, outgoing: undefined };
    const response = await app.fetch(fetchRequest, env);
    const events = env[ACCEPTED];
    if (!events) return writeResponse(socket, response);
    // The route checked every reason ws refuses, so this opens unless the client has gone meanwhile.
    wss.handleUpgrade(request, socket, head, (ws) => open(ws, events));
  }

  return {
    /** The app's answer to an upgrade it accepts: the socket is opened after the app returns. */
    upgrade(c: Context, events: SocketEvents): Response {
      (c.env as UpgradeEnv)[ACCEPTED] = events;
      return acceptedUpgrade(new Response(null));
    },
    /** Calls `ended` when the request's TCP connection closes, whether or not it became a WebSocket. */
    onConnectionEnd(c: Context, ended: () => void): void {
      (c.env as UpgradeEnv).incoming.socket.once('close', ended);
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
      for (const ws of clients) ws.terminate();
    },
    get openSockets(): number {
      return clients.size;
    },
  };
}

/**
 * The close code ws sends for a frame it refuses, by the error's code
 * (ws keeps the number under a symbol it does not export:
 * https://github.com/websockets/ws/blob/8.23.0/lib/receiver.js, createError);
 * undefined for an error that is not the client's frame.
 */
function wsCloseCode(err: Error): number | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code !== 'string' || !code.startsWith('WS_ERR_')) return undefined;
  if (code === 'WS_ERR_TOO_MANY_BUFFERED_PARTS') return 1008;
  if (code.endsWith('_LENGTH')) return 1009;
  if (code === 'WS_ERR_INVALID_UTF8') return 1007;
  return 1002;
}

function eventsOf(ws: WebSocket): SocketEvents {
  return (ws as MemberWebSocket)[EVENTS];
}

function destroySelf(this: Duplex): void {
  this.destroy();
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
  // end() only half-closes (the server's sockets allow half-open), and no HTTP timeout watches an upgrade's
  // socket: a client that never closes its side would hold it, and a shutdown, for ever. ws does the same:
  // https://github.com/websockets/ws/blob/8.23.0/lib/websocket-server.js (abortHandshake)
  socket.once('finish', destroySelf);
  socket.end(Buffer.concat([Buffer.from(head.join('\r\n')), body]));
}
