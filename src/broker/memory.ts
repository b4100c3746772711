import {
  type ChatMessage,
  type MemberInfo,
  type MessageId,
  formatMessageId,
  nextMessageId,
  parseMessageId,
  compareMessageIds,
  RECENT_BACKLOG,
  REF_TTL_MS,
  DEFAULT_HISTORY_SIZE,
} from '../protocol/index.ts';
import {
  type Broker,
  type History,
  type Page,
  type PageRequest,
  type PublishRequest,
  type Published,
  type RoomEvent,
  type RoomListener,
  BrokerUnavailableError,
} from './broker.ts';
import { OrderedEmitter } from './ordered-emitter.ts';
import type { Presence } from './presence.ts';

interface RoomState {
  readonly name: string;
  /** Holds at least the last `historySize` messages; trimmed in halves so appends stay O(1). */
  log: ChatMessage[];
  lastId: MessageId | null;
  refs: Map<string, { id: string; ts: number; expires: number }>;
  members: Map<string, { member: MemberInfo; owner: MemoryBroker }>;
  listeners: Set<RoomListener>;
  /** When the room last had a member, a listener or a new message: its TTL runs from here. */
  quietSince: number;
}

export interface MemoryBusOptions {
  historySize?: number;
  /** A room with no member and no message for this long is forgotten; 0 or absent: never. */
  roomTtlMs?: number;
  now?: () => number;
}

/** How often forgotten rooms and old refs are swept: a room goes at most this long after its TTL. */
const SWEEP_INTERVAL_MS = 1000;

/**
 * The shared state of in-memory brokers: what Redis is to the Redis broker.
 * Several replicas in one process each get a broker on the same bus.
 *
 * A room exists while it holds something. One with no member and no listener
 * waits in `quiet`, longest quiet first, and is forgotten when ROOM_TTL has
 * passed (at once if it holds nothing at all). Sweeping walks only what is due,
 * so a bus with many rooms pays nothing for those still in their TTL.
 */
export class MemoryBus {
  readonly historySize: number;
  readonly now: () => number;
  private readonly roomTtlMs: number;
  private readonly rooms = new Map<string, RoomState>();
  private readonly quiet = new Map<string, RoomState>();
  private readonly withRefs = new Set<RoomState>();
  /** The last id of any room forgotten: a room made again continues after it, so ids never go back. */
  private forgottenLastId: MessageId | null = null;
  private sweeper: ReturnType<typeof setInterval> | null = null;
  private brokers = 0;
  private available = true;
  private readonly emitter = new OrderedEmitter();

  constructor(options: MemoryBusOptions = {}) {
    this.historySize = options.historySize ?? DEFAULT_HISTORY_SIZE;
    this.roomTtlMs = options.roomTtlMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  /** How many rooms the bus holds state for. */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** How many refs the bus remembers, over all rooms. */
  get refCount(): number {
    let count = 0;
    for (const state of this.withRefs) count += state.refs.size;
    return count;
  }

  /** Makes the bus unreachable or reachable again, as a Redis outage would (for tests and drills). */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  isAvailable(): boolean {
    return this.available;
  }

  /** The room's state, made if it has none: only for what writes to it. */
  room(name: string): RoomState {
    let state = this.rooms.get(name);
    if (!state) {
      state = {
        name,
        log: [],
        lastId: this.forgottenLastId,
        refs: new Map(),
        members: new Map(),
        listeners: new Set(),
        quietSince: this.now(),
      };
      this.rooms.set(name, state);
    }
    return state;
  }

  /** The room's state if it has any: for what only reads. */
  find(name: string): RoomState | undefined {
    return this.rooms.get(name);
  }

  /** Every replica's listeners see the bus's one order. */
  emit(state: RoomState, event: RoomEvent): void {
    this.emitter.emit(state.listeners, event);
  }

  roomStates(): IterableIterator<RoomState> {
    return this.rooms.values();
  }

  /** Call after anything changed a room's members, listeners, log or refs: starts or stops its TTL. */
  settle(state: RoomState): void {
    if (state.members.size > 0 || state.listeners.size > 0) {
      this.quiet.delete(state.name);
      return;
    }
    if (state.log.length === 0 && state.refs.size === 0) return this.forget(state);
    if (this.roomTtlMs === 0) return;
    // Moved to the back: `quiet` stays in the order of quietSince.
    this.quiet.delete(state.name);
    state.quietSince = this.now();
    this.quiet.set(state.name, state);
    this.startSweeping();
  }

  /** A ref to prune when it is old, even if the room gets no other. */
  refRemembered(state: RoomState): void {
    this.withRefs.add(state);
    this.startSweeping();
  }

  /** Forgets the rooms past their TTL and the refs past theirs. */
  sweep(): void {
    const now = this.now();
    for (const state of this.withRefs) {
      dropExpiredRefs(state.refs, now);
      if (state.refs.size === 0) this.withRefs.delete(state);
    }
    for (const state of this.quiet.values()) {
      if (now - state.quietSince < this.roomTtlMs) break;
      this.forget(state);
    }
    if (this.quiet.size === 0 && this.withRefs.size === 0) this.stopSweeping();
  }

  /** A broker on this bus; the bus stops sweeping when the last one closes. */
  attach(): void {
    this.brokers++;
  }

  detach(): void {
    if (--this.brokers <= 0) this.stopSweeping();
  }

  private forget(state: RoomState): void {
    this.rooms.delete(state.name);
    this.quiet.delete(state.name);
    this.withRefs.delete(state);
    if (state.lastId && (!this.forgottenLastId || compareMessageIds(state.lastId, this.forgottenLastId) > 0)) {
      this.forgottenLastId = state.lastId;
    }
  }

  private startSweeping(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    // Sweeping is housekeeping: it never keeps a process alive.
    this.sweeper.unref?.();
  }

  private stopSweeping(): void {
    if (!this.sweeper) return;
    clearInterval(this.sweeper);
    this.sweeper = null;
  }
}

/**
 * A replica's view of a MemoryBus: its broker and its presence. A member is
 * announced in the call that records it; `close()` takes this replica's members away.
 */
export class MemoryBroker implements Broker, Presence {
  private closed = false;

  constructor(readonly bus: MemoryBus = new MemoryBus()) {
    bus.attach();
  }

  async publish({ room, from, text, ref }: PublishRequest): Promise<Published> {
    this.assertAvailable();
    const state = this.bus.room(room);
    const now = this.bus.now();
    if (ref !== undefined) {
      dropExpiredRefs(state.refs, now);
      const seen = state.refs.get(ref);
      if (seen) return { id: seen.id, ts: seen.ts, duplicate: true };
    }
    const next = nextMessageId(state.lastId, now);
    state.lastId = next;
    const message: ChatMessage = { id: formatMessageId(next), room, from, text, ts: now };
    state.log.push(message);
    if (state.log.length >= 2 * this.bus.historySize) state.log.splice(0, state.log.length - this.bus.historySize);
    if (ref !== undefined) {
      state.refs.set(ref, { id: message.id, ts: now, expires: now + REF_TTL_MS });
      this.bus.refRemembered(state);
    }
    this.bus.emit(state, { type: 'message', message });
    this.bus.settle(state);
    return { id: message.id, ts: now, duplicate: false };
  }

  async subscribe(room: string, listener: RoomListener): Promise<void> {
    this.assertAvailable();
    const state = this.bus.room(room);
    state.listeners.add(listener);
    this.bus.settle(state);
  }

  async unsubscribe(room: string, listener: RoomListener): Promise<void> {
    const state = this.bus.find(room);
    if (!state?.listeners.delete(listener)) return;
    this.bus.settle(state);
  }

  async history(room: string, since: string | undefined): Promise<History> {
    this.assertAvailable();
    const log = this.bus.find(room)?.log ?? [];
    const wanted = since === undefined ? null : parseMessageId(since);
    if (wanted) {
      const at = findIndex(log, wanted);
      if (at >= 0) return { messages: log.slice(at + 1), recovered: true };
    }
    return { messages: log.slice(-RECENT_BACKLOG), recovered: false };
  }

  async page(room: string, { before, after, limit }: PageRequest): Promise<Page> {
    this.assertAvailable();
    const log = this.bus.find(room)?.log ?? [];
    if (after !== undefined) {
      const start = firstIndexFrom(log, boundId(after), false);
      const messages = log.slice(start, start + limit);
      return { messages, next: start + limit < log.length ? messages.at(-1)!.id : null };
    }
    const end = before === undefined ? log.length : firstIndexFrom(log, boundId(before), true);
    const start = Math.max(0, end - limit);
    const messages = log.slice(start, end).reverse();
    return { messages, next: start > 0 ? messages.at(-1)!.id : null };
  }

  async join(room: string, member: MemberInfo): Promise<void> {
    this.assertAvailable();
    const state = this.bus.room(room);
    state.members.set(member.id, { member, owner: this });
    this.bus.settle(state);
    this.bus.emit(state, { type: 'join', member, count: state.members.size });
  }

  async leave(room: string, member: MemberInfo): Promise<void> {
    const state = this.bus.find(room);
    if (!state?.members.delete(member.id)) return;
    this.bus.emit(state, { type: 'leave', member, count: state.members.size });
    this.bus.settle(state);
  }

  async members(room: string): Promise<MemberInfo[]> {
    this.assertAvailable();
    const state = this.bus.find(room);
    return state ? Array.from(state.members.values(), (m) => m.member) : [];
  }

  isReady(): boolean {
    return this.bus.isAvailable();
  }

  /** Like a replica that stopped: its members leave everywhere else. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const state of this.bus.roomStates()) {
      let left = false;
      for (const [id, entry] of state.members) {
        if (entry.owner !== this) continue;
        state.members.delete(id);
        left = true;
        this.bus.emit(state, { type: 'leave', member: entry.member, count: state.members.size });
      }
      if (left) this.bus.settle(state);
    }
    this.bus.detach();
  }

  private assertAvailable(): void {
    if (!this.bus.isAvailable()) throw new BrokerUnavailableError();
  }
}

/** Where the log holds `id`, or -1. */
function findIndex(log: ChatMessage[], id: MessageId): number {
  const at = firstIndexFrom(log, id, true);
  return at < log.length && compareMessageIds(parseMessageId(log[at]!.id)!, id) === 0 ? at : -1;
}

/**
 * Binary search: the first index whose id is above `id` (or equal to it, with
 * `orEqual`), log.length when none is. An id the log does not hold is still a
 * bound: it falls between its neighbours.
 */
function firstIndexFrom(log: ChatMessage[], id: MessageId, orEqual: boolean): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareMessageIds(parseMessageId(log[mid]!.id)!, id);
    if (c > 0 || (orEqual && c === 0)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A page bound; the route checked it, so a malformed one is a bug here. */
function boundId(text: string): MessageId {
  const id = parseMessageId(text);
  if (!id) throw new TypeError(`malformed message id: ${text}`);
  return id;
}

function dropExpiredRefs(refs: RoomState['refs'], now: number): void {
  // Insertion order is expiry order, so the expired ones are at the front.
  for (const [ref, entry] of refs) {
    if (entry.expires > now) return;
    refs.delete(ref);
  }
}
