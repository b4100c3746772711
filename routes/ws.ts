import { Hono } from 'hono';
import { ProtocolError, parseConnectRequest } from '../src/protocol/index.ts';
import type { MemberGateway } from './member-gateway.ts';

/** `GET /ws/:room`: every check runs before the upgrade, so a refusal is plain HTTP with a JSON body. */
export function createWebSocketRoute(gateway: MemberGateway): Hono {
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
    if (!gateway.isReady()) throw new ProtocolError('unavailable', 'the message broker is unreachable');
    return gateway.connect(c, request);
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
