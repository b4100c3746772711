import type { Context } from 'hono';
import type { RoomService } from '../../routes/room-service.ts';
import { edgeConfig } from './edge-config.ts';
import type { Env } from './env.ts';

/** The room's Durable Object, after the variables were checked (a bad one is refused here, before any object starts). */
function roomObject(c: Context, room: string) {
  const env = c.env as Env;
  edgeConfig(env);
  return env.ROOMS.get(env.ROOMS.idFromName(room));
}

/**
 * At the edge the room's object answers the HTTP API and the page's history:
 * the Worker checks the key, the token and the input, then calls the object's
 * methods over its ROOMS binding (Durable Object RPC). Nothing outside can
 * make these calls: the object is reachable only through the binding, and
 * the Worker builds every argument from a checked request.
 */
export const roomObjectService: RoomService = {
  publish: (c, request) => roomObject(c, request.room).apiPublish(request),
  page: (c, room, request) => roomObject(c, room).apiPage(room, request),
  members: (c, room) => roomObject(c, room).apiMembers(room),
};

/** API_KEY from the Worker's variables (a secret: `wrangler secret put API_KEY`); unset: the API answers 404. */
export const edgeApiKey = (c: Context): string | undefined => edgeConfig(c.env as Env).apiKey;
