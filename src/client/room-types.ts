/** The public shape of the client: what it needs of a WebSocket, its options, a room and its status. */
import type { ChatMessage, MemberInfo, WelcomeFrame } from '../protocol/frames.ts';

/**
 * What the client needs of a WebSocket: the standard one (browsers, Deno,
 * Workers, Node 22+) and `ws`'s both fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
}

export interface ConnectOptions {
  /** Display name; ignored by a server with tokens (the token names the member). */
  name?: string;
  /** A token, or a function called for every (re)connect and on 4001 (token expired). */
  token?: string | (() => Promise<string>);
  /** Default globalThis.WebSocket. On Node 20 pass `ws`'s WebSocket. */
  WebSocket?: { new (url: string): WebSocketLike };
  /** Start after this id (e.g. restored from storage): the server recovers what came after it. */
  since?: string;
  /** Reconnect delays: defaults 500 and 10000 ms, less a random jitter of up to half. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Pacing of `message` frames: defaults 18 a second, bursts of 30 (the server's defaults are 20 and 40). */
  sendRate?: { perSecond?: number; burst?: number };
  /** Sends `ping` when nothing came for this long, and reconnects when nothing answers within as long again. Default 25000; 0: off. */
  pingIntervalMs?: number;
}

export type RoomStatus =
  | { state: 'connecting' | 'reconnecting'; reason?: string; code?: number; attempt: number; /** With `reconnecting`: how long until the next attempt. */ retryInMs?: number }
  | { state: 'live'; instance: string; recovered: boolean }
  | { state: 'closed'; reason: string; code?: number };

export interface ChatRoom {
  /** Each message once, in the room's order, across reconnects; not your own sends. */
  on(event: 'message', fn: (m: ChatMessage) => void): () => void;
  /** The members (by id, as welcome/join/leave tell) and the room's count (memberCount, or `count` frames). */
  on(event: 'members', fn: (list: MemberInfo[], count: number) => void): () => void;
  on(event: 'status', fn: (s: RoomStatus) => void): () => void;
  /** A connection that asked `since` got `recovered: false`: messages may be missing. */
  on(event: 'gap', fn: () => void): () => void;
  /** Each welcome (you, instance, members…). */
  on(event: 'welcome', fn: (w: WelcomeFrame) => void): () => void;
  /**
   * Resolves once, on the ack, across reconnects; rejects with ChatClientError
   * ('expired' when it could not be re-sent within 9 minutes: the server keeps
   * a ref for 10).
   */
  send(text: string, options?: SendOptions): Promise<{ id: string; ts: number }>;
  /** Sends `refresh` (now, or once connected); resolves with the token's exp on `refreshed`, rejects on error. */
  refresh(token: string): Promise<number>;
  /** Closes for good (status `closed`, reason 'closed by client'); pending sends reject. */
  close(): void;
  readonly you: MemberInfo | null;
  readonly lastId: string | null;
  readonly status: RoomStatus;
  /** Frames ignored because they were not what docs/protocol.md says (not JSON, a wrong shape). */
  readonly ignoredFrames: number;
}

export interface SendOptions {
  /**
   * The message's ref (1–64 characters), to send again a message that an
   * earlier room (e.g. before a Disconnect) may have sent: the server answers a
   * ref it saw in the last 10 minutes with the first ack. Default: a new UUID.
   */
  ref?: string;
  /** When the message was first sent (ms since the epoch; default now): a message older than 9 minutes is not sent again. */
  sentAt?: number;
}
