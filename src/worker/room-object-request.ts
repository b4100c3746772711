import type { ConnectRequest } from '../protocol/index.ts';

/**
 * The Worker checks `/ws/:room` (the token too) and hands the room's object
 * the checked request; the object reads it back without checking again. It
 * cannot be forged from outside: the object is reachable only through the
 * Worker's ROOMS binding, and the Worker builds this request itself, from the
 * verified claims (`name`, `user`, `expiresAt`). The upgrade headers go along;
 * the token does not, as the object has no use for it.
 */
export function toRoomObject(request: Request, connect: ConnectRequest): Request {
  const url = new URL('https://room.internal/connect');
  url.searchParams.set('room', connect.room);
  if (connect.name !== undefined) url.searchParams.set('name', connect.name);
  if (connect.since !== undefined) url.searchParams.set('since', connect.since);
  if (connect.user !== undefined) url.searchParams.set('user', connect.user);
  if (connect.expiresAt !== undefined) url.searchParams.set('expiresAt', String(connect.expiresAt));
  const headers = new Headers(request.headers);
  headers.delete('authorization');
  return new Request(url, { method: 'GET', headers });
}

export function fromWorker(request: Request): ConnectRequest {
  const params = new URL(request.url).searchParams;
  const user = params.get('user');
  const expiresAt = params.get('expiresAt');
  return {
    room: params.get('room') ?? '',
    name: params.get('name') ?? undefined,
    since: params.get('since') ?? undefined,
    ...(user === null ? {} : { user }),
    ...(expiresAt === null ? {} : { expiresAt: Number(expiresAt) }),
  };
}
