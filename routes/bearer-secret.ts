import type { Context } from 'hono';
import { ProtocolError } from '../src/protocol/index.ts';

/**
 * A shared secret sent as `Authorization: Bearer <secret>` (METRICS_TOKEN,
 * API_KEY). Refused with 401, `WWW-Authenticate: Bearer` and `message`
 * unless the header carries exactly `secret`.
 */
export async function requireBearerSecret(c: Context, secret: string, message: string): Promise<void> {
  if (await sameSecret(bearerToken(c.req.header('authorization')), secret)) return;
  c.header('WWW-Authenticate', 'Bearer');
  throw new ProtocolError('unauthorized', message);
}

/**
 * The credentials of `Bearer <token>`, the scheme in any letter case (RFC 9110 §11.1).
 * Stricter than a WebSocket's tokenOf (access.ts): a secret is one printable word.
 */
function bearerToken(authorization: string | undefined): string {
  return /^bearer +([\x21-\x7e]+) *$/i.exec(authorization ?? '')?.[1] ?? '';
}

/** Compared as SHA-256 digests, byte by byte to the end, so the time tells neither content nor length. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all(
    [given, expected].map(async (s) => new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(s)))),
  );
  let difference = 0;
  for (let i = 0; i < a!.length; i++) difference |= a![i]! ^ b![i]!;
  return difference === 0 && given !== '';
}
