import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ProtocolError, publicMember } from '../src/protocol/index.ts';
import { MAX_BODY_BYTES, pageBody, pageQuery, publishBody, roomParam } from './api-input.ts';
import { requireBearerSecret } from './bearer-secret.ts';
import type { RoomService } from './room-service.ts';

/** The API key of this request's runtime (the Worker reads it from the request's env); undefined: the API is off. */
export type ApiKeySource = (c: Context) => string | undefined;

/**
 * docs/protocol.md "HTTP API (v1.1)", for an application's own servers: publish
 * into a room, page through its history, list its members. Every `/api` route
 * answers 404 while no API_KEY is set; else the key is checked before anything
 * else (401), then the room, body and query (400), then the broker (503).
 */
export function createApiRoutes(apiKey: ApiKeySource, rooms: RoomService): Hono {
  const api = new Hono();
  api.use('/api/*', requireApiKey(apiKey));
  api.post(
    '/api/rooms/:room/messages',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ProtocolError('bad_request', `the body must be at most ${MAX_BODY_BYTES} bytes`);
      },
    }),
    async (c) => {
      const request = await publishBody(c, roomParam(c));
      const { id, ts, duplicate } = await rooms.publish(c, request);
      // A re-sent ref published nothing: the first message's id and ts, as a member's re-sent ack.
      return c.json({ id, ts }, duplicate ? 200 : 201);
    },
  );
  api.get('/api/rooms/:room/messages', async (c) => {
    const room = roomParam(c);
    return c.json(pageBody(await rooms.page(c, room, pageQuery(c))));
  });
  api.get('/api/rooms/:room/members', async (c) => {
    const members = await rooms.members(c, roomParam(c));
    return c.json({ members: members.map(publicMember) });
  });
  return api;
}

function requireApiKey(apiKey: ApiKeySource): MiddlewareHandler {
  return async (c, next) => {
    const key = apiKey(c);
    if (key === undefined) return c.notFound();
    await requireBearerSecret(c, key, 'the API needs Authorization: Bearer <API_KEY>');
    await next();
  };
}
