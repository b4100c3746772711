import type { Context, MiddlewareHandler } from 'hono';
import { ProtocolError } from '../src/protocol/index.ts';

export interface MetricsAccessOptions {
  /** When set, a scrape needs `Authorization: Bearer <token>`. */
  token: string | undefined;
  /** The TCP peer's address, never a forwarded one: a header is the client's to write. */
  peerAddress(c: Context): string | undefined;
}

/**
 * Who may read `/metrics`: the holder of the token when there is one, else
 * only this machine (a scraper on the same host, or an operator with a tunnel).
 */
export function metricsAccess({ token, peerAddress }: MetricsAccessOptions): MiddlewareHandler {
  return async (c, next) => {
    if (token !== undefined) {
      if (!(await sameSecret(bearerToken(c.req.header('authorization')), token))) {
        c.header('WWW-Authenticate', 'Bearer');
        throw new ProtocolError('unauthorized', '/metrics needs Authorization: Bearer <METRICS_TOKEN>');
      }
    } else if (!isLoopback(peerAddress(c))) {
      throw new ProtocolError('forbidden', '/metrics answers this machine only while METRICS_TOKEN is not set');
    }
    await next();
  };
}

/** The credentials of `Bearer <token>`, the scheme in any letter case (RFC 9110 §11.1). */
export function bearerToken(authorization: string | undefined): string {
  return /^bearer +([\x21-\x7e]+) *$/i.exec(authorization ?? '')?.[1] ?? '';
}

/** 127.0.0.0/8, ::1, and the former as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.toLowerCase().replace(/^::ffff:/, '');
  return address === '::1' || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(v4);
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
