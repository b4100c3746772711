import {
  type ChatMessage,
  type MemberInfo,
  type MessageId,
  RECENT_BACKLOG,
  REF_TTL_MS,
  formatMessageId,
  nextMessageId,
  parseMessageId,
} from '../protocol/index.ts';
import type { Broker, History, Page, PageRequest, PublishRequest, Published, RoomListener } from '../broker/broker.ts';
import { OrderedEmitter } from '../broker/ordered-emitter.ts';
import type { Presence } from '../broker/presence.ts';
import type { RoomLog } from './room-log.ts';

/** What the broker tells about the room's occupancy, for ROOM_TTL (see RoomLifetime). */
export interface RoomOccupancy {
  /** A member joined. */
  occupied(): void;
  /** The last member left, or a message was written while the room was empty. */
  quiet(): void;
}

const UNWATCHED: RoomOccupancy = { occupied() {}, quiet() {} };

/**
 * The broker and the presence of one room that lives in its Durable Object:
 * every member is a socket of this object, so publishing is appending to the
 * object's log and handing the message to the room's listener, and its members
 * are those sockets' (kept in memory, remembered again after hibernation).
 * Nothing here can be unreachable.
 */
export class DurableObjectBroker implements Broker, Presence {
  private lastId: MessageId | null;
  private lastN: number;
  private readonly present = new Map<string, MemberInfo>();
  private readonly listeners = new Set<RoomListener>();
  private readonly emitter = new OrderedEmitter();

  constructor(
    private readonly log: RoomLog,
    private readonly occupancy: RoomOccupancy = UNWATCHED,
    private readonly now: () => number = Date.now,
  ) {
    const last = log.last();
    this.lastId = last?.id ?? null;
    this.lastN = last?.n ?? 0;
  }

  /** A member whose socket outlived this object's last run (hibernation): known, not announced. */
  remember(member: MemberInfo): void {
    this.present.set(member.id, member);
  }

  /**
   * The object's storage was deleted: the log starts again from its first place,
   * and ids go on from the last one given, so they still increase.
   */
  forgotten(): void {
    this.log.forgotten();
    this.lastN = 0;
  }

  async publish({ room, from, text, ref }: PublishRequest): Promise<Published> {
    const now = this.now();
    if (ref !== undefined) {
      const seen = this.log.seenRef(ref, now);
      if (seen) return { ...seen, duplicate: true };
    }
    const id = nextMessageId(this.lastId, now);
    const message: ChatMessage = { id: formatMessageId(id), room, from, text, ts: now };
    this.log.append(this.lastN + 1, message);
    this.lastN++;
    this.lastId = id;
    if (ref !== undefined) this.log.rememberRef(ref, { id: message.id, ts: now }, now + REF_TTL_MS);
    this.emitter.emit(this.listeners, { type: 'message', message });
    if (this.present.size === 0) this.occupancy.quiet();
    return { id: message.id, ts: now, duplicate: false };
  }

  async subscribe(_room: string, listener: RoomListener): Promise<void> {
    this.listeners.add(listener);
  }

  async unsubscribe(_room: string, listener: RoomListener): Promise<void> {
    this.listeners.delete(listener);
  }

  async history(_room: string, since: string | undefined): Promise<History> {
    const wanted = since === undefined ? null : parseMessageId(since);
    const at = wanted ? this.log.find(wanted) : null;
    if (at !== null) return { messages: this.log.after(at), recovered: true };
    return { messages: this.log.after(this.lastN - RECENT_BACKLOG), recovered: false };
  }

  async page(_room: string, { before, after, limit }: PageRequest): Promise<Page> {
    // One more than asked: whether it comes tells whether a next page exists.
    const fetched =
      after !== undefined
        ? this.log.newer(boundId(after), limit + 1)
        : this.log.older(before === undefined ? null : boundId(before), limit + 1);
    const messages = fetched.slice(0, limit);
    return { messages, next: fetched.length > limit ? messages.at(-1)!.id : null };
  }

  async join(_room: string, member: MemberInfo): Promise<void> {
    this.present.set(member.id, member);
    this.occupancy.occupied();
    this.emitter.emit(this.listeners, { type: 'join', member, count: this.present.size });
  }

  async leave(_room: string, member: MemberInfo): Promise<void> {
    if (!this.present.delete(member.id)) return;
    this.emitter.emit(this.listeners, { type: 'leave', member, count: this.present.size });
    if (this.present.size === 0) this.occupancy.quiet();
  }

  async members(_room: string): Promise<MemberInfo[]> {
    return [...this.present.values()];
  }

  isReady(): boolean {
    return true;
  }

  async close(): Promise<void> {}
}

/** A page bound; the route checked it, so a malformed one is a bug here. */
function boundId(text: string): MessageId {
  const id = parseMessageId(text);
  if (!id) throw new TypeError(`malformed message id: ${text}`);
  return id;
}
