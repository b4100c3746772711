import { type Context, Hono } from 'hono';
import type { TokenVerifier } from '../src/auth/token-verifier.ts';
import { type ConnectRequest, ProtocolError, parseConnectRequest } from '../src/protocol/index.ts';
import { type AccessSource, grantedClaims } from './access.ts';
import type { MemberGateway } from './member-gateway.ts';

/**
 * `GET /ws/:room`: every check runs before the upgrade, so a refusal is plain
 * HTTP with a JSON body, in docs/protocol.md's order: 400 (room, name, upgrade),
 * 403 origin, 401 token, 403 room grant; then the gateway's own (429, 503).
 */
export function createWebSocketRoute(gateway: MemberGateway, access: AccessSource): Hono {
  const app = new Hono();
  // No room is a bad room: 400, not 404.
  const noRoom = (): never => {
    throw new ProtocolError('bad_request', 'a room is needed: /ws/<room>');
  };
  app.get('/ws', noRoom);
  app.get('/ws/', noRoom);
  return app.get('/ws/:room', async (c) => {
    const { verifier, originAllowed } = await access(c);
    // With a token, the name is the token's: the query's is ignored, not checked.
    const request = parseConnectRequest(c.req.param('room'), verifier ? undefined : c.req.query('name'), c.req.query('since'));
    const problem = handshakeProblem(c.req.method, c.req.raw.headers);
    if (problem) throw new ProtocolError('bad_request', `this endpoint needs a WebSocket upgrade: ${problem}`);
    if (originAllowed && !originAllowed(c.req.header('origin'))) {
      throw new ProtocolError('forbidden', 'this Origin may not connect');
    }
    return gateway.connect(c, verifier ? await withToken(c, request, verifier) : request);
  });
}

/** The request as the token says: its name and user, until its expiry; or a 401/403 ProtocolError. */
async function withToken(c: Context, request: ConnectRequest, verifier: TokenVerifier): Promise<ConnectRequest> {
  const claims = await grantedClaims(c, verifier, request.room);
  return { ...request, name: claims.name, user: claims.sub, expiresAt: claims.exp * 1000 };
}

/** RFC 7230's token characters, which ws also allows in a subprotocol name. */
const SUBPROTOCOL = /^[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*$/;

/**
 * What makes this request one the runtime's upgrader would refuse, if
 * anything. Every reason `ws` refuses is here (handleUpgrade in
 * node_modules/ws/lib/websocket-server.js, and lib/subprotocol.js), because
 * on Node a request ws refuses after the app accepted it gets ws's bare 400,
 * without docs/protocol.md's JSON body (see src/node/websocket-server.ts). Hono
 * routes HEAD to this GET handler, so the method is checked too.
 */
function handshakeProblem(method: string, headers: Headers): string | undefined {
  if (method !== 'GET') return `method ${method.slice(0, 16)}, not GET`;
  if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return 'no Upgrade: websocket';
  if (!(headers.get('connection') ?? '').toLowerCase().split(',').some((t) => t.trim() === 'upgrade')) {
    return 'no Connection: Upgrade';
  }
  if (headers.get('sec-websocket-version') !== '13') return 'Sec-WebSocket-Version is not 13';
  if (!/^[+/0-9A-Za-z]{22}==$/.test(headers.get('sec-websocket-key') ?? '')) return 'bad Sec-WebSocket-Key';
  const protocols = headers.get('sec-websocket-protocol');
  if (protocols !== null && !isSubprotocolList(protocols)) return 'bad Sec-WebSocket-Protocol';
  return undefined;
}

/** As ws parses it: comma-separated tokens, white space around each, none empty, none twice. */
function isSubprotocolList(header: string): boolean {
  const names = header.split(',');
  if (!names.every((name) => SUBPROTOCOL.test(name))) return false;
  return new Set(names.map((name) => name.trim())).size === names.length;
}
