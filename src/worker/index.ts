import { Hono } from 'hono';
import { ConfigError } from '../config/config.ts';
import { mountApp } from '../../routes/app.ts';
import { consoleLogger } from './console-logger.ts';
import { edgeAccess } from './edge-access.ts';
import { edgeConfig } from './edge-config.ts';
import type { Env } from './env.ts';
import { roomObjectGateway } from './room-object-gateway.ts';
import { edgeApiKey, roomObjectService } from './room-object-service.ts';

export { ChatRoom } from './chat-room.ts';

/** LOG_LEVEL, known once a request has brought the Worker its variables; info until then. */
let logLevel: ReturnType<typeof edgeConfig>['logLevel'] = 'info';

// static/ is served by Workers Assets before the Worker runs, so the app has no serveStatic.
const app = mountApp(new Hono<{ Bindings: Env }>(), {
  gateway: roomObjectGateway,
  // The token is checked here, in the Worker, before the request reaches the room's object.
  access: (c) => edgeAccess(c.env as Env),
  // The room's object answers the API and the page's history; the Worker checks the key and the input first.
  rooms: roomObjectService,
  apiKey: edgeApiKey,
  log: consoleLogger({}, () => logLevel),
});

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    try {
      logLevel = edgeConfig(env).logLevel;
    } catch (err) {
      // A bad variable: the gateway refuses the request with a 500 and logs why, once.
      if (!(err instanceof ConfigError)) throw err;
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
