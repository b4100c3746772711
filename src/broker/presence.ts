import type { MemberInfo } from '../protocol/index.ts';

/** A member came or went; `count` is how many the room holds after it, on every replica. */
export interface PresenceEvent {
  readonly type: 'join' | 'leave';
  readonly member: MemberInfo;
  readonly count: number;
  /**
   * A member that was there all along, recorded again after the backend lost
   * it: member lists take it, members are not told (they never heard it left).
   */
  readonly quiet?: true;
}

/**
 * The backend may have missed some of this room's `join`/`leave` events (its
 * subscription was down a while): whoever keeps a member list from them reads
 * the whole list again. Messages lose nothing; they are re-read separately.
 */
export interface PresenceGapEvent {
  readonly type: 'presence-gap';
}

/**
 * Who is in each room, on every replica: centrifuge's `PresenceManager` beside
 * its `Broker`. Announcements go out on the room's subscription
 * (`Broker.subscribe`), in the room's one order with its messages: a list read
 * with `members()` while subscribed, then kept from the events, misses no
 * change made after the read (or is told by a `presence-gap` that it may have).
 *
 * - The `join` of a member not recorded yet, and the `leave` of one that is,
 *   are announced once each, to every subscriber of the room on every replica
 *   (the announcing replica's own included), with the room's member count
 *   after it. A member's id is its connection's own, so it joins once.
 * - A replica's members go with it, each with a `leave` announced once to the
 *   replicas that remain: when it closes, and over Redis when it dies (within
 *   its liveness TTL and a heartbeat). A room's Durable Object is its only
 *   replica: nobody remains to be told.
 * - Methods that need the backend reject with BrokerUnavailableError while it
 *   is unreachable.
 *
 * The memory and Redis brokers and the Durable Object's broker are each their
 * own presence: the same object is passed as both, and its `close()` ends both.
 */
export interface Presence {
  /**
   * Records `member` in the room on this replica and announces its `join`.
   * Resolves once recorded: `members()` then lists it on every replica, while
   * the announcement may still be on its way. A join that rejects is not
   * listed, and is not recorded again after a reconnect.
   */
  join(room: string, member: MemberInfo): Promise<void>;
  /**
   * Removes the member and announces its `leave`, if it was recorded; else
   * does nothing. A leave that rejects is not lost: the member is no longer
   * this replica's, and is swept (announced once) when the backend is back.
   */
  leave(room: string, member: MemberInfo): Promise<void>;
  /**
   * Everyone recorded in the room, on every replica whose members are still
   * its own: the members of a replica that closed or died are not listed
   * (Redis sweeps them first, announcing their `leave`). This replica's own
   * members are listed once their `join` resolved, even where the backend
   * lost them for a while (Redis restarted empty); a join still under way is not.
   */
  members(room: string): Promise<MemberInfo[]>;
}
