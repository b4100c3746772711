import { ProtocolError } from './codes.ts';
import { parseDisplayName } from './display-name.ts';
import { ROOM_PATTERN } from './limits.ts';

/** What a client asks for in `GET /ws/:room?name&since`, checked before the upgrade. */
export interface ConnectRequest {
  room: string;
  /** Trimmed display name; absent when the client gave none (the room names it `anon-…`). */
  name: string | undefined;
  /** The raw `since`; a malformed one is not an error, it just cannot recover. */
  since: string | undefined;
  /** With a token: its `sub`, which every member object then carries as `user`. */
  user?: string;
  /** With a token: when it expires (ms since the epoch); the connection closes with 4001 then. */
  expiresAt?: number;
}

export function parseConnectRequest(room: string, name: string | undefined, since: string | undefined): ConnectRequest {
  if (!ROOM_PATTERN.test(room)) {
    throw new ProtocolError('bad_request', 'room must be 1–64 characters of A-Z a-z 0-9 _ . -');
  }
  return { room, name: parseDisplayName(name), since: since === '' ? undefined : since };
}
