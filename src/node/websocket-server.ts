import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hono } from 'hono';
import type { WSContext } from 'hono/ws';
import { createNodeWebSocket } from '@hono/node-ws';
import type { WebSocket } from 'ws';
import type { Logger, MemberSocket } from '../room/index.ts';

/**
 * WebSockets for Node through @hono/node-ws, with two things it leaves out:
 * refusals keep their JSON body (its own upgrade listener sends an empty one),
 * and `ws` enforces the frame limit (its default would buffer 100 MiB).
 */
export function createNodeWebSockets(app: Hono, maxFrameBytes: number, log: Logger) {
  const { wss, upgradeWebSocket } = createNodeWebSocket({ app });
  // ws reads this per connection; over it, ws closes with 1009 before buffering the rest.
  wss.options.maxPayload = maxFrameBytes;

  async function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const headers = new Headers();
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.append(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const env: Record<string | symbol, unknown> = { incoming: request, outgoing: undefined };
    const response = await app.request(new URL(request.url ?? '/', 'http://localhost'), { method: request.method, headers }, env);
    // @hono/node-ws marks an accepted upgrade with a symbol on `env`; without one the app refused.
    if (Object.getOwnPropertySymbols(env).length === 0) return writeResponse(socket, response);
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  }

  return {
    upgradeWebSocket,
    attach(server: Server): void {
      server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        onUpgrade(request, socket, head).catch((err: unknown) => {
          log.error({ err, path: request.url }, 'upgrade failed');
          socket.destroy();
        });
      });
    },
    /** Drops every socket at once, for the end of a shutdown. */
    terminateAll(): void {
      for (const ws of wss.clients) ws.terminate();
    },
    get openSockets(): number {
      return wss.clients.size;
    },
  };
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
