import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { Logger } from '../src/logger.ts';
import type { MemberGateway } from './member-gateway.ts';
import { createErrorHandler, createNotFoundHandler, createRefusalLog } from './refusal.ts';
import { createHealthRoutes } from './health.ts';
import { createWebSocketRoute } from './ws.ts';
import { type AccessSource, OPEN_ACCESS } from './access.ts';
import { type ApiKeySource, createApiRoutes } from './api.ts';
import { createHistoryRoute } from './room-history.ts';
import type { RoomService } from './room-service.ts';
import { securityHeaders } from './security-headers.ts';
import { staticRanges } from './static-range.ts';

export type { MemberGateway } from './member-gateway.ts';
export type { RoomService } from './room-service.ts';

export interface AppOptions {
  gateway: MemberGateway;
  /** Tokens and origins; absent: anyone may connect, as in v1. */
  access?: AccessSource;
  /** The rooms' history, members and publishing, for the HTTP API and the page's history route; absent: neither is served. */
  rooms?: RoomService;
  /** API_KEY; absent, or undefined for a request: every `/api` route answers 404. */
  apiKey?: ApiKeySource;
  /** Serves `static/` (the chat page at `/`) where the runtime does not serve it before the app. */
  serveStatic?: MiddlewareHandler;
  log: Logger;
  /** Routes a runtime adds, such as `/metrics`. */
  extend?: (app: Hono) => void;
}

/** The same routes on every runtime; what differs comes in through `options`. */
export function createApp(options: AppOptions): Hono {
  return mountApp(new Hono(), options);
}

/** As createApp, on an app the runtime made first (its WebSocket helper may need the app). */
export function mountApp<A extends Hono<any>>(app: A, options: AppOptions): A {
  const addressOf = (c: Context) => options.gateway.clientAddress?.(c);
  app.onError(createErrorHandler(options.log, addressOf));
  app.use(securityHeaders());
  app.route('/', createHealthRoutes(options.gateway));
  const access = options.access ?? (() => OPEN_ACCESS);
  app.route('/', createWebSocketRoute(options.gateway, access));
  if (options.rooms) {
    app.route('/', createApiRoutes(options.apiKey ?? (() => undefined), options.rooms));
    app.route('/', createHistoryRoute(options.rooms, access));
  }
  options.extend?.(app as unknown as Hono);
  if (options.serveStatic) {
    // Workers Assets reads static/_headers and never serves it; neither do the others.
    app.get('/_headers', (c) => c.notFound());
    app.get('*', staticRanges(options.serveStatic, createRefusalLog(options.log, addressOf)));
  }
  app.notFound(createNotFoundHandler(options.log, addressOf));
  return app;
}
