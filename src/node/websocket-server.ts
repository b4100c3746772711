import { EventEmitter } from 'node:events';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Hono, type Context } from 'hono';
import type { WSContext, WSEvents } from 'hono/ws';
import { createNodeWebSocket } from '@hono/node-ws';
import { WebSocket } from 'ws';
import type { Config } from '../config/config.ts';
import { ProtocolError } from '../protocol/index.ts';
import type { Logger, MemberSocket } from '../room/index.ts';

export type NodeSocketOptions = Pick<Config, 'maxFrameBytes' | 'pingIntervalMs' | 'idleTimeoutMs'>;

/** What a logged URL keeps: its path, never the query, at most this long. */
const LOGGED_PATH_LENGTH = 200;
/** Lines a second one message may write; the rest are counted. */
const LOG_LINES_PER_SECOND = 5;

/**
 * WebSockets for Node through @hono/node-ws, with what it leaves out:
 * refusals keep their JSON body (its own upgrade listener sends an empty one),
 * `ws` enforces the frame limit (its default would buffer 100 MiB), no
 * accepted upgrade is kept after its socket closes, and members are pinged.
 */
export function createNodeWebSockets(app: Hono, options: NodeSocketOptions, log: Logger) {
  // Its own app is used only by the listener that releases waiters (below), and accepts nothing.
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
      return upgradeWebSocket(c, events);
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
function waiterReleaser(
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

/**
 * A ping to every member each PING_INTERVAL_MS, and a drop for one that sent
 * nothing, pongs included, for IDLE_TIMEOUT_MS. One timer for all; a socket
 * only records when it was last heard from.
 */
function watchLiveness(clients: Set<WebSocket>, { pingIntervalMs, idleTimeoutMs }: NodeSocketOptions) {
  const lastHeard = new WeakMap<WebSocket, number>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const ws of clients) {
      if (now - (lastHeard.get(ws) ?? now) >= idleTimeoutMs) ws.terminate();
      else if (ws.readyState === WebSocket.OPEN) ws.ping();
    }
  }, pingIntervalMs);
  timer.unref();
  return {
    track(ws: WebSocket): void {
      const heard = () => lastHeard.set(ws, Date.now());
      heard();
      ws.on('message', heard);
      ws.on('pong', heard);
      ws.on('ping', heard);
    },
    stop: () => clearInterval(timer),
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

/** A request's path as a log line may hold it: no query, bounded. */
function loggablePath(url: string | undefined): string {
  const path = url ?? '';
  const query = path.indexOf('?');
  return (query === -1 ? path : path.slice(0, query)).slice(0, LOGGED_PATH_LENGTH);
}

/**
 * Logs `message` at most LOG_LINES_PER_SECOND times a second, so that a
 * client repeating one bad request cannot fill the disk; a line written after
 * some were dropped says how many.
 */
function throttledLog(log: Logger, message: string): (context: object) => void {
  let windowStart = 0;
  let written = 0;
  let suppressed = 0;
  return (context) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      written = 0;
    }
    if (written >= LOG_LINES_PER_SECOND) {
      suppressed++;
      return;
    }
    written++;
    log.error(suppressed > 0 ? { ...context, suppressed } : context, message);
    suppressed = 0;
  };
}

function refusal(error: ProtocolError): Response {
  return Response.json(error.toBody(), { status: error.status });
}

/** ws sends a Buffer given with `binary: false` as a text frame, without encoding it again. */
const AS_TEXT = { binary: false } as const;

export function nodeMemberSocket(ws: WSContext<WebSocket>): MemberSocket {
  const raw = ws.raw!;
  return {
    send: (frame, utf8) => (utf8 ? raw.send(utf8, AS_TEXT) : raw.send(frame)),
    close: (code, reason) => raw.close(code, reason),
    bufferedAmount: () => raw.bufferedAmount,
  };
}

async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const head = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`];
  response.headers.forEach((value, key) => {
    if (key !== 'content-length' && key !== 'connection') head.push(`${key}: ${value}`);
  });
  head.push(`Content-Length: ${body.length}`, 'Connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(head.join('\r\n')), body]));
}
