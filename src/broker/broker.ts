import type { ChatMessage, MemberInfo } from '../protocol/index.ts';
import type { PresenceEvent, PresenceGapEvent } from './presence.ts';

/** What arrives on a room's subscription, in the room's one order: its messages, presence's events (presence.ts), and resets. */
export type RoomEvent =
  | { readonly type: 'message'; readonly message: ChatMessage }
  | PresenceEvent
  | ResetEvent
  | PresenceGapEvent;

/**
 * The broker could not continue this room's events for this replica without
 * a possible gap (a buffer past its bound while it reconnected, or a log that
 * lost where this replica was): its members here are closed with 1013 to
 * reconnect with `since`, and their welcome says whether they missed anything.
 */
export interface ResetEvent {
  readonly type: 'reset';
  readonly reason: string;
}

export type RoomListener = (event: RoomEvent) => void;

export interface PublishRequest {
  readonly room: string;
  readonly from: MemberInfo;
  readonly text: string;
  readonly ref?: string;
}

export interface Published {
  readonly id: string;
  readonly ts: number;
  /** True when `ref` was seen before: nothing was published, this is the first message's id. */
  readonly duplicate: boolean;
}

export interface History {
  /** Oldest first. */
  readonly messages: ChatMessage[];
  /** True when `since` was held, so `messages` is everything after it. */
  readonly recovered: boolean;
}

/** Which part of a room's log to read: before an id (newest first), or after one (oldest first). */
export interface PageRequest {
  /** Older than this id (exclusive); absent with `after` absent: from the newest. */
  readonly before?: string;
  /** Newer than this id (exclusive). Never together with `before`. */
  readonly after?: string;
  /** 1–200. */
  readonly limit: number;
}

export interface Page {
  /** Newest first when paging back (`before`, or neither), oldest first with `after`. */
  readonly messages: ChatMessage[];
  /**
   * The bound for the following page in the same direction (the last
   * message's id), or null once this page holds the oldest message the room
   * keeps (paging back) or its newest (paging forward).
   */
  readonly next: string | null;
}

/**
 * Carries a room's messages between replicas, and the presence events that
 * Presence (presence.ts) announces, on one subscription per room.
 *
 * - `publish` gives the message its id, appends it to the room's log and delivers
 *   it to every subscriber of the room (the publishing replica's own included)
 *   in one step: ids increase per room and every subscriber sees one order.
 * - Delivery is at most once per subscription; a replica that lost its
 *   subscription recovers from `history`.
 * - A `ref` seen in the last REF_TTL_MS is not published again.
 * - Methods that need the broker reject with BrokerUnavailableError while it is
 *   unreachable; the broker reconnects by itself.
 */
export interface Broker {
  publish(request: PublishRequest): Promise<Published>;
  /** Starts delivering the room's events to `listener`; one listener per room per replica. */
  subscribe(room: string, listener: RoomListener): Promise<void>;
  /** Stops delivering to `listener`; a later subscribe with another listener is unaffected. */
  unsubscribe(room: string, listener: RoomListener): Promise<void>;
  /** The backlog for a newcomer: everything after `since` when held, else the recent ones. */
  history(room: string, since: string | undefined): Promise<History>;
  /** A page of the room's log for the HTTP API; ids given are well-formed (the route checks). */
  page(room: string, request: PageRequest): Promise<Page>;
  /** Whether the broker can be reached now. */
  isReady(): boolean;
  /** Stops this replica's broker; one that is its own presence too removes this replica's members with it. */
  close(): Promise<void>;
}

export class BrokerUnavailableError extends Error {
  readonly code = 'unavailable';
  constructor(message = 'the message broker is unreachable', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerUnavailableError';
  }
}
