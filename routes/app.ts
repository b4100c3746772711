import { Hono, type MiddlewareHandler } from 'hono';
import type { Logger } from '../src/room/index.ts';
import { createErrorHandler } from './refusal.ts';
import { createHealthRoutes } from './health.ts';
import { createWebSocketRoute, type WebSocketRouteOptions } from './ws.ts';

export interface AppOptions extends WebSocketRouteOptions {
  /** Serves `static/` (the chat page at `/`); each runtime has its own. */
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
export function mountApp(app: Hono, options: AppOptions): Hono {
  app.onError(createErrorHandler(options.log));
  app.route('/', createHealthRoutes(options.registry));
  app.route('/', createWebSocketRoute(options));
  options.extend?.(app);
  if (options.serveStatic) app.get('*', options.serveStatic);
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.path}` } }, 404));
  return app;
}
