import { Hono } from 'hono';
import { mountApp } from '../../routes/app.ts';
import { consoleLogger } from './console-logger.ts';
import { edgeAccess } from './edge-access.ts';
import type { Env } from './env.ts';
import { roomObjectGateway } from './room-object-gateway.ts';
import { edgeApiKey, roomObjectService } from './room-object-service.ts';

export { ChatRoom } from './chat-room.ts';

// static/ is served by Workers Assets before the Worker runs, so the app has no serveStatic.
const app = mountApp(new Hono<{ Bindings: Env }>(), {
  gateway: roomObjectGateway,
  // The token is checked here, in the Worker, before the request reaches the room's object.
  access: (c) => edgeAccess(c.env as Env),
  // The room's object answers the API and the page's history; the Worker checks the key and the input first.
  rooms: roomObjectService,
  apiKey: edgeApiKey,
  log: consoleLogger(),
});

export default app;
