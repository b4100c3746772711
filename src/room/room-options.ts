import type { Broker } from '../broker/broker.ts';
import type { Presence } from '../broker/presence.ts';
import type { Logger } from '../logger.ts';
import type { TokenClaims } from '../auth/claims.ts';
import type { MemberDeadlines } from './member-deadlines.ts';

export interface RoomOptions {
  /** Carries the room's messages and its presence events between replicas. */
  broker: Broker;
  /** Who is in the room on every replica; its events arrive through `broker`'s subscription. */
  presence: Presence;
  /** Named in `welcome.instance`. */
  instance: string;
  /** Messages a second per connection, bursts of twice that; 0 turns the limit off. */
  rateLimit: number;
  maxFrameBytes: number;
  /** A member whose unsent bytes pass this is closed with 1013. */
  sendBufferLimit: number;
  /** Above this many members a room sends `count` (at most once a second) instead of `join`/`leave`. */
  presenceLimit: number;
  log: Logger;
  /** Checks a `refresh`'s token; absent when the server runs without a key. */
  verifyToken?: (token: string) => Promise<TokenClaims>;
  /** Closes members when their token expires; absent when the server runs without a key. */
  deadlines?: MemberDeadlines;
  metrics?: RoomMetrics;
  now?: () => number;
}

/** Counts the runtime may export (Prometheus on Node); called on the hot path, so cheap. */
export interface RoomMetrics {
  /** A `message` frame passed the checks and goes to the broker. */
  messageReceived(): void;
  /** A message was written to `count` local members. */
  messagesDelivered(count: number): void;
  /** How long one publish took, ack included. */
  publishSeconds(seconds: number): void;
}
