/**
 * chat-hub/client: one room over one WebSocket, for browsers, Deno, Workers
 * and Node 22+ (on Node 20 pass `ws`'s WebSocket as `options.WebSocket`).
 *
 * It imports nothing at run time but its own files (src/client/*.ts) and
 * src/protocol/message-id.ts (which imports nothing); the frame types come
 * from src/protocol as erase-only `import type`.
 *
 * What it promises:
 * - `message`: every message of the room once, in the room's order, across
 *   reconnects (it reconnects with `since` = the last id it delivered and drops
 *   anything at or before that id). Your own sends are not emitted (the server
 *   does not echo them): `send` resolves with their id and ts. That holds too
 *   for your own messages that come back in a recovery backlog.
 * - `send`: resolves once, with the one id, even when the connection dropped
 *   before the ack: every unacked message is re-sent with its original `ref`
 *   after reconnecting, and the server answers a known `ref` with the first
 *   ack. `rate_limited` is retried after a pause (1 s), `unavailable` after a
 *   backoff; any other error rejects with a ChatClientError. Sends are paced
 *   (by default 18 a second, bursts of 30) to stay under the server's limits.
 * - `members`: kept from welcome/join/leave by id (a second join for a known
 *   id changes nothing); `count` frames (big rooms) update the count only.
 *
 * Close codes and refusals (the rule):
 * - 1006 (network loss), 1012, 1013 and any other code not named below:
 *   reconnect, with exponential backoff (initialMs·2^(n−1), at most maxMs,
 *   less a random jitter of up to half).
 * - 1007, 1008, 1009: stop (state `closed`), with the server's reason.
 * - 4001 (token expired): with a token function, fetch a new token and
 *   reconnect at once; with a token string, stop with reason 'token expired'.
 * - A refused upgrade (HTTP 4xx). The standard WebSocket does not expose the
 *   status. When the implementation tells it (ws: "Unexpected server response:
 *   401"), it is used: 400/403/404 stop; 401 stops unless the token is a
 *   function, which is called again, up to 3 refusals in a row; 429 and 5xx
 *   are retried with backoff. When it does not (browsers, Deno, Workers), a
 *   socket that closes before `open` 3 times in a row (and every one after)
 *   makes the client ask `GET <base>/rooms/<room>/history?limit=1` with the
 *   same token (Authorization: Bearer): that route runs the join checks and
 *   its status can be read. 400/403 stop; 401 stops (with a token function,
 *   after asking again with a fresh token); 200, 429, 5xx, an opaque answer or
 *   a network error keep retrying with the capped backoff (a full replica, a
 *   per-address cap: they pass).
 * - `gap`: a reconnect with `since` that got `recovered: false`, or one
 *   without `since` (nothing delivered yet) whose backlog is full (50): the
 *   newest 50 cannot prove that nothing came between the two connections.
 * - `send` re-sends a message for at most 9 minutes after it was first sent
 *   (the server remembers a ref for 10); past that it rejects with code
 *   'expired'. `send(text, { ref })` re-sends one that an earlier room sent.
 * - A frame that is not what docs/protocol.md says is ignored (`ignoredFrames`).
 */
export type {
  AckFrame,
  ChatMessage,
  CountFrame,
  ErrorFrame,
  MemberInfo,
  MessageFrame,
  PresenceFrame,
  RefreshedFrame,
  ServerFrame,
  WelcomeFrame,
} from '../protocol/frames.ts';
export type { ErrorCode } from '../protocol/codes.ts';
export type { ChatRoom, ConnectOptions, RoomStatus, SendOptions, WebSocketLike } from './room-types.ts';
export { ChatClientError } from './chat-client-error.ts';
export { roomUrl } from './room-url.ts';
import { ChatRoomClient } from './chat-room-client.ts';
import type { ChatRoom, ConnectOptions } from './room-types.ts';

/**
 * Joins `room` on the server at `baseUrl` (http(s):// or ws(s)://) and keeps
 * the membership up across reconnects until close().
 */
export function connectRoom(baseUrl: string, room: string, options: ConnectOptions = {}): ChatRoom {
  return new ChatRoomClient(baseUrl, room, options);
}
