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
  type PublishRequest,
  type Published,
  type RoomEvent,
  type RoomListener,
  BrokerUnavailableError,
} from './broker.ts';
import { OrderedEmitter } from './ordered-emitter.ts';

interface RoomState {
  /** Holds at least the last `historySize` messages; trimmed in halves so appends stay O(1). */
  log: ChatMessage[];
  lastId: MessageId | null;
  refs: Map<string, { id: string; ts: number; expires: number }>;
  members: Map<string, { member: MemberInfo; owner: MemoryBroker }>;
  listeners: Set<RoomListener>;
}

export interface MemoryBusOptions {
  historySize?: number;
  /** A room with no member and no message for this long is forgotten; 0 or absent: never. */
  roomTtlMs?: number;
  now?: () => number;
}

/**
 * The shared state of in-memory brokers: what Redis is to the Redis broker.
 * Several replicas in one process each get a broker on the same bus.
 */
export class MemoryBus {
  readonly historySize: number;
  readonly now: () => number;
  private readonly rooms = new Map<string, RoomState>();
  private available = true;
  private readonly emitter = new OrderedEmitter();

  constructor(options: MemoryBusOptions = {}) {
    this.historySize = options.historySize ?? DEFAULT_HISTORY_SIZE;
    this.now = options.now ?? Date.now;
  }

  /** Makes the bus unreachable or reachable again, as a Redis outage would (for tests and drills). */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  isAvailable(): boolean {
    return this.available;
  }

  room(name: string): RoomState {
    let state = this.rooms.get(name);
    if (!state) {
      state = { log: [], lastId: null, refs: new Map(), members: new Map(), listeners: new Set() };
      this.rooms.set(name, state);
    }
    return state;
  }

  /** Every replica's listeners see the bus's one order. */
  emit(state: RoomState, event: RoomEvent): void {
    this.emitter.emit(state.listeners, event);
  }

  roomStates(): IterableIterator<RoomState> {
    return this.rooms.values();
  }
}

/** A replica's view of a MemoryBus. */
export class MemoryBroker implements Broker {
  constructor(readonly bus: MemoryBus = new MemoryBus()) {}

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
    if (ref !== undefined) state.refs.set(ref, { id: message.id, ts: now, expires: now + REF_TTL_MS });
    this.bus.emit(state, { type: 'message', message });
    return { id: message.id, ts: now, duplicate: false };
  }

  async subscribe(room: string, listener: RoomListener): Promise<void> {
    this.assertAvailable();
    this.bus.room(room).listeners.add(listener);
  }

  async unsubscribe(room: string, listener: RoomListener): Promise<void> {
    this.bus.room(room).listeners.delete(listener);
  }

  async history(room: string, since: string | undefined): Promise<History> {
    this.assertAvailable();
    const log = this.bus.room(room).log;
    const wanted = since === undefined ? null : parseMessageId(since);
    if (wanted) {
      const at = findIndex(log, wanted);
      if (at >= 0) return { messages: log.slice(at + 1), recovered: true };
    }
    return { messages: log.slice(-RECENT_BACKLOG), recovered: false };
  }

  async join(room: string, member: MemberInfo): Promise<void> {
    this.assertAvailable();
    const state = this.bus.room(room);
    state.members.set(member.id, { member, owner: this });
    this.bus.emit(state, { type: 'join', member, count: state.members.size });
  }

  async leave(room: string, member: MemberInfo): Promise<void> {
    const state = this.bus.room(room);
    if (state.members.delete(member.id)) this.bus.emit(state, { type: 'leave', member, count: state.members.size });
  }

  async members(room: string): Promise<MemberInfo[]> {
    this.assertAvailable();
    return Array.from(this.bus.room(room).members.values(), (m) => m.member);
  }

  isReady(): boolean {
    return this.bus.isAvailable();
  }

  /** Like a replica that stopped: its members leave everywhere else. */
  async close(): Promise<void> {
    for (const state of this.bus.roomStates()) {
      for (const [id, entry] of state.members) {
        if (entry.owner !== this) continue;
        state.members.delete(id);
        this.bus.emit(state, { type: 'leave', member: entry.member, count: state.members.size });
      }
    }
  }

  private assertAvailable(): void {
    if (!this.bus.isAvailable()) throw new BrokerUnavailableError();
  }
}

/** Binary search: the log is in id order. */
function findIndex(log: ChatMessage[], id: MessageId): number {
  let lo = 0;
  let hi = log.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareMessageIds(parseMessageId(log[mid]!.id)!, id);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function dropExpiredRefs(refs: RoomState['refs'], now: number): void {
  // Insertion order is expiry order, so the expired ones are at the front.
  for (const [ref, entry] of refs) {
    if (entry.expires > now) return;
    refs.delete(ref);
  }
}
