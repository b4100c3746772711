import type { ConnectRequest } from '../protocol/index.ts';

/**
 * The Worker checks `/ws/:room` and hands the room's object the checked request;
 * the object reads it back without checking again. The upgrade headers go along.
 */
export function toRoomObject(request: Request, connect: ConnectRequest): Request {
  const url = new URL('https://room.internal/connect');
  url.searchParams.set('room', connect.room);
  if (connect.name !== undefined) url.searchParams.set('name', connect.name);
  if (connect.since !== undefined) url.searchParams.set('since', connect.since);
  return new Request(url, { method: 'GET', headers: request.headers });
}

export function fromWorker(request: Request): ConnectRequest {
  const params = new URL(request.url).searchParams;
  return {
    room: params.get('room') ?? '',
    name: params.get('name') ?? undefined,
    since: params.get('since') ?? undefined,
  };
}
