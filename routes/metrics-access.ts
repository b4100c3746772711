import type { Context, MiddlewareHandler } from 'hono';
import { ProtocolError } from '../src/protocol/index.ts';
import { requireBearerSecret } from './bearer-secret.ts';
import { normalizeAddress } from './client-address.ts';

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
      await requireBearerSecret(c, token, '/metrics needs Authorization: Bearer <METRICS_TOKEN>');
    } else if (!isLoopback(peerAddress(c))) {
      throw new ProtocolError('forbidden', '/metrics answers this machine only while METRICS_TOKEN is not set');
    }
    await next();
  };
}

/** 127.0.0.0/8, ::1, and the former as IPv4-mapped IPv6 (normalizeAddress makes it IPv4). */
function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const normal = normalizeAddress(address);
  return normal === '::1' || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(normal);
}
