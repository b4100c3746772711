import type { Context } from 'hono';
import { parseAllowedOrigins } from '../src/auth/allowed-origins.ts';
import { type TokenClaims, grantsRoom } from '../src/auth/claims.ts';
import { type AuthSettings, type TokenVerifier, createTokenVerifier } from '../src/auth/token-verifier.ts';
import { ProtocolError } from '../src/protocol/index.ts';

/** Who may connect (docs/protocol.md v1.1): the token key and the Origin allow-list, each absent when off. */
export interface Access {
  readonly verifier: TokenVerifier | undefined;
  readonly originAllowed: ((origin: string | undefined) => boolean) | undefined;
}

export const OPEN_ACCESS: Access = { verifier: undefined, originAllowed: undefined };

/** How a runtime hands the routes its Access: made once at start, or (at the edge) from the request's bindings. */
export type AccessSource = (c: Context) => Access | Promise<Access>;

/** The Access the settings describe; rejects with AuthKeyError for a key that cannot be read. */
export async function createAccess(settings: { auth: AuthSettings; allowedOrigins: string | undefined }): Promise<Access> {
  return { verifier: await createTokenVerifier(settings.auth), originAllowed: parseAllowedOrigins(settings.allowedOrigins) };
}

/** The claims of the request's token, which must grant `room`: else 401 (no token, or a bad one) or 403. */
export async function grantedClaims(c: Context, verifier: TokenVerifier, room: string): Promise<TokenClaims> {
  const token = tokenOf(c);
  if (!token) throw new ProtocolError('unauthorized', 'a token is needed: ?token=<jwt> or Authorization: Bearer <jwt>');
  const claims = await verifier.verify(token);
  if (!grantsRoom(claims.rooms, room)) throw new ProtocolError('forbidden', 'the token does not grant this room');
  return claims;
}

/**
 * The token of an upgrade: `Authorization: Bearer` (any letter case) wins over
 * `?token=`; an Authorization header of another scheme is ignored.
 */
function tokenOf(c: Context): string | undefined {
  const header = c.req.header('authorization');
  // A Bearer header wins even when what follows is malformed: it is then refused, never passed over for ?token=.
  const bearer = header?.match(/^bearer(?:[ \t]+(.*))?$/i);
  if (bearer) return bearer[1]?.trim() ?? '';
  return c.req.query('token') || undefined;
}
