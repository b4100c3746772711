import type { Context } from 'hono';
import type { MemberGateway } from '../../routes/member-gateway.ts';
import type { ConnectRequest } from '../protocol/index.ts';
import { edgeConfig } from './edge-config.ts';
import type { Env } from './env.ts';
import { toRoomObject } from './room-object-request.ts';

/**
 * At the edge a room is one Durable Object, found by name, holding its members'
 * sockets. There is no broker to lose, so the Worker is always ready.
 */
export const roomObjectGateway: MemberGateway = {
  isReady: () => true,
  connect(c: Context, request: ConnectRequest) {
    const env = c.env as Env;
    // A bad variable is refused here, logged once by the app, before any object starts.
    edgeConfig(env);
    const rooms = env.ROOMS;
    return rooms.get(rooms.idFromName(request.room)).fetch(toRoomObject(c.req.raw, request));
  },
  // Set by Cloudflare on every request from outside, replacing any a client sent: https://developers.cloudflare.com/fundamentals/reference/http-headers/#cf-connecting-ip
  clientAddress: (c: Context) => c.req.header('cf-connecting-ip') ?? 'unknown',
};
