import { type MessageId, CloseCode, COUNT_INTERVAL_MS, encodeCount, encodeMessage, encodePresence, parseMessageId } from '../protocol/index.ts';
import type { RoomEvent } from '../broker/broker.ts';
import type { PresenceEvent } from '../broker/presence.ts';
import type { Member } from './member.ts';
import type { RoomMetrics } from './room-options.ts';
import { Roster } from './roster.ts';

const UTF8 = new TextEncoder();

/**
 * The members of one room on this replica. The broker calls `listener` with the
 * room's events in the room's one order; each is serialized once here and
 * written to every local member it is for.
 */
export class Room {
  private readonly members: Member[] = [];
  private fanningOut = false;
  private readonly leftDuringFanOut: Member[] = [];
  /** Settles when the broker delivers this room's events here. */
  subscription: Promise<void> | null = null;
  /** Everyone in the room on every replica, kept from its presence events. */
  readonly roster = new Roster();
  /** The room's member count on every replica, as the last presence event said. */
  private count = 0;
  private countSent = 0;
  private countSentAt = -Infinity;
  private countTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly name: string,
    private readonly presenceLimit: number,
    private readonly metrics?: RoomMetrics,
  ) {}

  /** Members still here, not counting those whose removal waits for the fan-out to end. */
  get size(): number {
    return this.members.length - this.leftDuringFanOut.length;
  }

  add(member: Member): void {
    this.members.push(member);
  }

  remove(member: Member): void {
    // Removing while fanning out would shift the array under the loop.
    if (this.fanningOut) {
      this.leftDuringFanOut.push(member);
      return;
    }
    const at = this.members.indexOf(member);
    if (at < 0) return;
    this.members[at] = this.members[this.members.length - 1]!;
    this.members.pop();
  }

  forEachMember(fn: (member: Member) => void): void {
    for (const member of [...this.members]) fn(member);
  }

  readonly listener = (event: RoomEvent): void => {
    if (event.type === 'message') {
      const frame = encodeMessage(event.message);
      const written = this.fanOut(frame, UTF8.encode(frame), event.message.from.id, parseMessageId(event.message.id));
      this.metrics?.messagesDelivered(written);
    } else if (event.type === 'reset') {
      this.roster.stale();
      this.forEachMember((member) => member.close(CloseCode.tryAgainLater));
    } else if (event.type === 'presence-gap') {
      this.roster.stale();
    } else {
      this.presence(event);
    }
  };

  /** Stops the pending `count`, for a room this replica no longer holds. */
  dispose(): void {
    if (this.countTimer !== null) clearTimeout(this.countTimer);
    this.countTimer = null;
  }

  private presence(event: PresenceEvent): void {
    this.roster.apply(event);
    if (event.quiet) return;
    this.count = event.count;
    if (event.count <= this.presenceLimit) {
      // Back at the limit: a later pass over it must be told again, even at the same number.
      this.countSent = 0;
      const frame = encodePresence(event.type, event.member);
      // A member's own welcome stands for its join; it is not told of itself.
      this.fanOut(frame, UTF8.encode(frame), event.member.id, null);
      return;
    }
    if (this.countTimer !== null) return;
    const wait = this.countSentAt + COUNT_INTERVAL_MS - Date.now();
    if (wait <= 0) this.sendCount();
    else this.countTimer = setTimeout(() => this.sendCount(), wait);
  }

  /** Big rooms: the count, once a second at most, and only while past the limit and changed. */
  private sendCount(): void {
    this.countTimer = null;
    if (this.count <= this.presenceLimit || this.count === this.countSent) return;
    this.countSent = this.count;
    this.countSentAt = Date.now();
    const frame = encodeCount(this.count);
    this.fanOut(frame, UTF8.encode(frame), '', null);
  }

  /** Returns how many members it was written to. */
  private fanOut(frame: string, utf8: Uint8Array | null, exceptId: string, messageId: MessageId | null): number {
    this.fanningOut = true;
    const members = this.members;
    let written = 0;
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!;
      if (member.id === exceptId) continue;
      member.deliver(frame, utf8, messageId);
      written++;
    }
    this.fanningOut = false;
    while (this.leftDuringFanOut.length > 0) this.remove(this.leftDuringFanOut.pop()!);
    return written;
  }
}
