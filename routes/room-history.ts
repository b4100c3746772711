import { Hono } from 'hono';
import { ProtocolError } from '../src/protocol/index.ts';
import { type AccessSource, grantedClaims } from './access.ts';
import { pageBody, pageQuery, roomParam } from './api-input.ts';
import type { RoomService } from './room-service.ts';

/**
 * `GET /rooms/:room/history?before=ID&limit=N`: the page's "Load older
 * messages", answered as the API's GET messages but without the API key. It
 * needs exactly what joining the room needs, checked in the order of
 * `/ws/:room`: 400 (room, query), 403 origin, 401 token, 403 room grant, then
 * 503 while the broker is down. The token comes as for a WebSocket:
 * `Authorization: Bearer <jwt>` or `?token=`.
 */
export function createHistoryRoute(rooms: RoomService, access: AccessSource): Hono {
  return new Hono().get('/rooms/:room/history', async (c) => {
    const { verifier, originAllowed } = await access(c);
    const room = roomParam(c);
    const request = pageQuery(c);
    if (originAllowed && !originAllowed(c.req.header('origin'))) throw new ProtocolError('forbidden', 'this Origin may not read this room');
    if (verifier) await grantedClaims(c, verifier, room);
    return c.json(pageBody(await rooms.page(c, room, request)));
  });
}
