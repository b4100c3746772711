import { Hono } from 'hono';
import type { UpgradeWebSocket, WSContext } from 'hono/ws';
import { ProtocolError, parseConnectRequest } from '../src/protocol/index.ts';
import type { Member, MemberSocket, RoomRegistry } from '../src/room/index.ts';

export interface WebSocketRouteOptions {
  registry: RoomRegistry;
  upgradeWebSocket: UpgradeWebSocket<any>;
  /** Adapts the runtime's socket; the runtime knows how to read its send buffer. */
  memberSocket: (ws: WSContext<any>) => MemberSocket;
  /** 0: no cap. */
  maxConnections: number;
}

/** `GET /ws/:room`: every check runs before the upgrade, so a refusal is plain HTTP with a JSON body. */
export function createWebSocketRoute(options: WebSocketRouteOptions): Hono {
  const { registry, upgradeWebSocket, memberSocket, maxConnections } = options;
  const app = new Hono();
  // No room is a bad room: 400, not 404.
  const noRoom = (): never => {
    throw new ProtocolError('bad_request', 'a room is needed: /ws/<room>');
  };
  app.get('/ws', noRoom);
  app.get('/ws/', noRoom);
  return app.get('/ws/:room', (c) => {
    const request = parseConnectRequest(c.req.param('room'), c.req.query('name'), c.req.query('since'));
    if (!isWebSocketUpgrade(c.req.raw.headers)) {
      throw new ProtocolError('bad_request', 'this endpoint needs a WebSocket upgrade (RFC 6455 handshake headers)');
    }
    if (!registry.isReady()) throw new ProtocolError('unavailable', 'the message broker is unreachable');
    if (maxConnections > 0 && registry.connections >= maxConnections) {
      throw new ProtocolError('overloaded', 'this instance is at its connection limit; try another');
    }
    let member: Member | undefined;
    return upgradeWebSocket(c, {
      onOpen(_event, ws) {
        member = registry.connect(request, memberSocket(ws));
      },
      onMessage(event) {
        const data = event.data;
        if (typeof data === 'string') member?.receive(data);
        else member?.receiveBinary(data instanceof Blob ? data.size : data.byteLength);
      },
      onClose() {
        member?.socketClosed();
      },
    });
  });
}

/** An RFC 6455 opening handshake, checked here so that a half-made one never reaches the runtime's upgrader. */
function isWebSocketUpgrade(headers: Headers): boolean {
  return (
    headers.get('upgrade')?.toLowerCase() === 'websocket' &&
    (headers.get('connection') ?? '').toLowerCase().split(',').some((t) => t.trim() === 'upgrade') &&
    headers.get('sec-websocket-version') === '13' &&
    /^[+/0-9A-Za-z]{22}==$/.test(headers.get('sec-websocket-key') ?? '')
  );
}
