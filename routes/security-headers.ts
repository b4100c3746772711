import type { Context, MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { isAcceptedUpgrade } from './accepted-upgrade.ts';

/** A Host header fit to go into a policy as is: a name, IPv4 or bracketed IPv6, and a port. */
const PLAIN_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * The page's own WebSocket origin, both schemes: where TLS ends at a proxy the
 * scheme the browser used is not known here, and `'self'` does not match
 * `ws:` in every browser. Taken from the Host header, not the URL: on Node an
 * upgrade reaches the app with a made-up `http://localhost` URL.
 */
function webSocketOrigins(c: Context): string {
  const host = c.req.header('host') ?? new URL(c.req.url).host;
  return PLAIN_HOST.test(host) ? `ws://${host} wss://${host}` : '';
}

/**
 * The page may load only its own script, style and socket; nothing inline,
 * nothing framing it. static/_headers says the same to Workers Assets.
 */
const applySecureHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    connectSrc: ["'self'", webSocketOrigins],
    // The page's icon is `data:,`, which keeps the browser from asking for /favicon.ico.
    imgSrc: ["'self'", 'data:'],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: 'DENY',
  referrerPolicy: 'no-referrer',
  // HSTS is for whoever terminates TLS to decide (it reaches every subdomain).
  strictTransportSecurity: false,
});

/** Security headers on every answer of the app except one that opens a WebSocket. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    // A 101's headers are immutable on Deno and at the edge, and the browser
    // ignores them anyway (https://github.com/honojs/hono/issues/1102); on
    // Node the acceptance is never sent (a CSP per connect was ~5 % of its CPU).
    if (isAcceptedUpgrade(c.res)) return;
    await applySecureHeaders(c, async () => {});
  };
}
