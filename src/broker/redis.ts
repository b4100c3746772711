import { Redis, type RedisOptions } from 'ioredis';
import {
  type ChatMessage,
  type MemberInfo,
  type MessageId,
  compareMessageIds,
  formatMessageId,
  parseMessageId,
  RECENT_BACKLOG,
  REF_TTL_MS,
} from '../protocol/index.ts';
import type { Logger } from '../logger.ts';
import {
  type Broker,
  type History,
  type PublishRequest,
  type Published,
  type RoomEvent,
  type RoomListener,
  BrokerUnavailableError,
} from './broker.ts';
import { livenessKey, roomKeys, roomOfChannel } from './redis-keys.ts';
import { JOIN_SCRIPT, LEAVE_SCRIPT, PUBLISH_SCRIPT } from './redis-scripts.ts';

export interface RedisBrokerOptions {
  /** `redis://` or `rediss://`, credentials included; handed to ioredis unchanged and never logged. */
  url: string;
  instance: string;
  historySize: number;
  /** A room with no member and no message for this long is forgotten (its keys expire); 0 or absent: never. */
  roomTtlMs?: number;
  log: Logger;
  /** A replica whose liveness key is older than this is taken for dead. */
  livenessTtlMs?: number;
  /** How often the liveness key is refreshed and dead replicas' members are removed. */
  heartbeatMs?: number;
}

interface Subscription {
  readonly room: string;
  readonly listener: RoomListener;
  /** The last message delivered to the listener. */
  delivered: MessageId | null;
  /** The end of the log when the subscription began: where a gap read starts if nothing was delivered. */
  floor: MessageId | null;
  /** While a gap is read after a reconnect, live events wait here. */
  held: RoomEvent[] | null;
}

interface StoredMember extends MemberInfo {
  instance: string;
}

type StreamEntry = [id: string, fields: string[]];

interface ChatCommands {
  chatPublish(log: string, refKey: string, maxLen: number, payload: string, channel: string, hasRef: string, ttl: number, floor: string): Promise<[number, string]>;
  chatJoin(members: string, channel: string, id: string, stored: string, member: string): Promise<number>;
  chatLeave(members: string, channel: string, ...pairs: string[]): Promise<number>;
}

/**
 * The broker over Redis, for replicas in separate processes. One connection
 * for commands, one for subscriptions (a channel per room this replica holds);
 * ids come from the room's stream, so they increase per room even after Redis
 * restarted empty. After a reconnect it resubscribes every room it holds and
 * delivers, from the stream, what was published while it was away.
 */
export class RedisBroker implements Broker {
  private readonly commands: Redis & ChatCommands;
  private readonly subscriber: Redis;
  private readonly subscriptions = new Map<string, Subscription>();
  /** Members this replica recorded, per room: recorded again after Redis comes back. */
  private readonly localMembers = new Map<string, Map<string, MemberInfo>>();
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly livenessTtlMs: number;
  private closed = false;
  /** Counts subscriber reconnects, so that only the newest one resyncs. */
  private resyncs = 0;
  /** The connection problem last logged, shared by both connections so each is said once. */
  private lastProblem: string | null = null;

  constructor(private readonly options: RedisBrokerOptions) {
    this.livenessTtlMs = options.livenessTtlMs ?? 15_000;
    const clientOptions: RedisOptions = {
      // Fail fast while Redis is away: members get `unavailable`, not a hang.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 5000,
      autoResubscribe: false,
      disableClientInfo: true,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    };
    this.commands = new Redis(options.url, clientOptions) as Redis & ChatCommands;
    this.commands.defineCommand('chatPublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    this.commands.defineCommand('chatJoin', { numberOfKeys: 1, lua: JOIN_SCRIPT });
    this.commands.defineCommand('chatLeave', { numberOfKeys: 1, lua: LEAVE_SCRIPT });
    this.subscriber = new Redis(options.url, clientOptions);

    this.watch(this.commands, 'commands');
    this.watch(this.subscriber, 'subscriber', () => void this.onSubscriberReady());
    this.subscriber.on('message', (channel: string, payload: string) => this.onChannelMessage(channel, payload));
    this.heartbeat = setInterval(() => void this.beat(), options.heartbeatMs ?? 5000);
    this.heartbeat.unref?.();
  }

  isReady(): boolean {
    return !this.closed && this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  async publish({ room, from, text, ref }: PublishRequest): Promise<Published> {
    const keys = roomKeys(room);
    const payload = JSON.stringify({ from: { id: from.id, name: from.name }, text });
    const seen = this.subscriptions.get(keys.channel)?.delivered;
    const [duplicate, id] = await this.run('publish', () =>
      this.commands.chatPublish(
        keys.log,
        ref === undefined ? keys.log : keys.ref(ref),
        this.options.historySize,
        payload,
        keys.channel,
        ref === undefined ? '0' : '1',
        REF_TTL_MS,
        seen ? formatMessageId(seen) : '',
      ),
    );
    return { id, ts: idTime(id), duplicate: duplicate === 1 };
  }

  async subscribe(room: string, listener: RoomListener): Promise<void> {
    const keys = roomKeys(room);
    const subscription: Subscription = { room, listener, delivered: null, floor: null, held: null };
    this.subscriptions.set(keys.channel, subscription);
    try {
      await this.run('subscribe', () => this.subscriber.subscribe(keys.channel));
      const [last] = await this.run('subscribe', () => this.commands.xrevrange(keys.log, '+', '-', 'COUNT', 1));
      subscription.floor = last ? parseMessageId(last[0]) : null;
    } catch (err) {
      if (this.subscriptions.get(keys.channel) === subscription) this.subscriptions.delete(keys.channel);
      throw err;
    }
  }

  async unsubscribe(room: string, listener: RoomListener): Promise<void> {
    const { channel } = roomKeys(room);
    if (this.subscriptions.get(channel)?.listener !== listener) return;
    this.subscriptions.delete(channel);
    // While disconnected there is nothing to undo: a reconnect subscribes only what is held.
    if (this.subscriber.status !== 'ready') return;
    try {
      await this.subscriber.unsubscribe(channel);
    } catch (err) {
      // Its events are ignored from now on; the next reconnect drops the channel.
      this.options.log.warn({ room, err: describe(err) }, 'could not unsubscribe a room');
    }
  }

  async history(room: string, since: string | undefined): Promise<History> {
    const { log } = roomKeys(room);
    if (since !== undefined && parseMessageId(since)) {
      // One transaction, so no trim can fall between "since is held" and "read what follows".
      const [held, after] = await this.run('history', async () => {
        const replies = await this.commands.multi().xrange(log, since, since).xrange(log, `(${since}`, '+').exec();
        return (replies ?? []).map(([err, value]) => {
          if (err) throw err;
          return value as StreamEntry[];
        });
      });
      if (held && held.length > 0) return { recovered: true, messages: (after ?? []).map((e) => decodeEntry(room, e)) };
    }
    const recent = await this.run('history', () => this.commands.xrevrange(log, '+', '-', 'COUNT', RECENT_BACKLOG));
    return { recovered: false, messages: recent.reverse().map((e) => decodeEntry(room, e)) };
  }

  async join(room: string, member: MemberInfo): Promise<void> {
    let local = this.localMembers.get(room);
    if (!local) this.localMembers.set(room, (local = new Map()));
    local.set(member.id, member);
    try {
      await this.record(room, member);
    } catch (err) {
      // Not recorded (or not known to be): never record it again after a reconnect.
      local.delete(member.id);
      throw err;
    }
  }

  async leave(room: string, member: MemberInfo): Promise<void> {
    const local = this.localMembers.get(room);
    local?.delete(member.id);
    if (local?.size === 0) this.localMembers.delete(room);
    const keys = roomKeys(room);
    await this.run('leave', () => this.commands.chatLeave(keys.members, keys.channel, member.id, publicJson(member)));
  }

  async members(room: string): Promise<MemberInfo[]> {
    const keys = roomKeys(room);
    const stored = await this.run('members', () => this.commands.hgetall(keys.members));
    const byInstance = new Map<string, StoredMember[]>();
    for (const json of Object.values(stored)) {
      const member = JSON.parse(json) as StoredMember;
      const list = byInstance.get(member.instance) ?? [];
      list.push(member);
      byInstance.set(member.instance, list);
    }
    const alive: MemberInfo[] = [];
    const gone: StoredMember[] = [];
    const local = this.localMembers.get(room);
    for (const [instance, list] of byInstance) {
      if (instance === this.options.instance) {
        // Ours but not held: a leave that failed while Redis was away.
        for (const m of list) (local?.has(m.id) ? alive : gone).push(m);
        continue;
      }
      const live = (await this.run('members', () => this.commands.exists(livenessKey(instance)))) === 1;
      // A replica that stopped refreshing its key died: its members leave.
      for (const m of list) (live ? alive : gone).push(m);
    }
    if (gone.length > 0) {
      const pairs = gone.flatMap((m) => [m.id, publicJson(m)]);
      // Announced once, whichever replica gets there first.
      const left = await this.run('members', () => this.commands.chatLeave(keys.members, keys.channel, ...pairs));
      if (left > 0) this.options.log.info({ room, left }, 'removed members whose replica stopped or who left while Redis was away');
    }
    return alive.map((m) => ({ id: m.id, name: m.name }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.heartbeat);
    if (this.commands.status === 'ready') {
      try {
        for (const [room, members] of this.localMembers) {
          const keys = roomKeys(room);
          const pairs = [...members.values()].flatMap((m) => [m.id, publicJson(m)]);
          await this.commands.chatLeave(keys.members, keys.channel, ...pairs);
        }
        await this.commands.del(livenessKey(this.options.instance));
      } catch (err) {
        this.options.log.warn({ err: describe(err) }, 'could not remove this replica’s members from Redis; survivors will');
      }
    }
    this.closed = true;
    this.localMembers.clear();
    this.subscriptions.clear();
    // quit() lets replies in flight (a last leave) arrive; a connection that is down just stops.
    await Promise.all([this.commands, this.subscriber].map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
  }

  private onChannelMessage(channel: string, payload: string): void {
    const subscription = this.subscriptions.get(channel);
    if (!subscription) return;
    const event = decodeEvent(roomOfChannel(channel), payload);
    if (!event) {
      this.options.log.warn({ channel }, 'ignored a malformed event on a room channel');
      return;
    }
    if (subscription.held) subscription.held.push(event);
    else deliver(subscription, event);
  }

  private async record(room: string, member: MemberInfo): Promise<void> {
    const keys = roomKeys(room);
    const stored = JSON.stringify({ id: member.id, name: member.name, instance: this.options.instance });
    await this.run('join', () => this.commands.chatJoin(keys.members, keys.channel, member.id, stored, publicJson(member)));
  }

  /**
   * Both connections are up again: say we are alive and record our members
   * again (Redis may have lost them), retrying while Redis stays reachable.
   */
  private async restore(): Promise<void> {
    while (this.isReady()) {
      try {
        await this.commands.set(livenessKey(this.options.instance), '1', 'PX', this.livenessTtlMs);
        for (const [room, members] of this.localMembers) {
          for (const member of members.values()) await this.record(room, member);
        }
        return;
      } catch (err) {
        this.options.log.warn({ err: describe(err) }, 'could not record this replica’s members after reconnecting; retrying');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /**
   * The subscriber (re)connected: subscribe every room held, then deliver from
   * the stream what was published while away, then what arrived meanwhile.
   * A newer reconnect takes over from an older one still at work.
   */
  private async onSubscriberReady(): Promise<void> {
    const generation = ++this.resyncs;
    for (const s of this.subscriptions.values()) s.held ??= [];
    while (!this.closed && generation === this.resyncs && this.subscriber.status === 'ready') {
      const rooms = [...this.subscriptions.values()];
      if (rooms.length === 0) return;
      try {
        await this.subscriber.subscribe(...rooms.map((s) => roomKeys(s.room).channel));
        for (const s of rooms) await this.deliverGap(s, generation);
        if (generation !== this.resyncs) return;
        this.options.log.info({ rooms: rooms.length }, 'resubscribed after reconnecting to Redis');
        return;
      } catch (err) {
        this.options.log.warn({ err: describe(err) }, 'could not read the gap after reconnecting; retrying');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private async deliverGap(s: Subscription, generation: number): Promise<void> {
    const from = s.delivered ?? s.floor;
    const { log } = roomKeys(s.room);
    const entries: StreamEntry[] = await this.commands.xrange(log, from ? `(${formatMessageId(from)}` : '-', '+');
    // A newer reconnect holds these events now and reads its own gap.
    if (generation !== this.resyncs) return;
    for (const entry of entries) deliver(s, { type: 'message', message: decodeEntry(s.room, entry) });
    const held = s.held ?? [];
    s.held = null;
    for (const event of held) deliver(s, event);
  }

  private async beat(): Promise<void> {
    if (this.commands.status !== 'ready') return;
    try {
      await this.commands.set(livenessKey(this.options.instance), '1', 'PX', this.livenessTtlMs);
      for (const s of this.subscriptions.values()) await this.members(s.room);
    } catch (err) {
      this.options.log.warn({ err: describe(err) }, 'heartbeat failed');
    }
  }

  /** Logs each distinct connection problem once (not once per retry), and the recovery. */
  private watch(client: Redis, role: string, onReady?: () => void): void {
    let wasReady = false;
    client.on('error', (err: Error) => {
      const problem = describe(err);
      if (problem === this.lastProblem) return;
      this.lastProblem = problem;
      this.options.log.error({ redis: redisAddress(this.options.url), err: problem }, `Redis unreachable: ${problem}`);
    });
    client.on('ready', () => {
      if (this.isReady() && (this.lastProblem !== null || wasReady)) this.options.log.info({ role }, 'Redis reachable again');
      if (this.isReady()) this.lastProblem = null;
      wasReady = true;
      onReady?.();
      if (this.isReady()) void this.restore();
    });
  }

  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (!this.isReady()) throw new BrokerUnavailableError();
    try {
      return await command();
    } catch (err) {
      throw new BrokerUnavailableError(`Redis failed during ${what}: ${describe(err)}`, { cause: err });
    }
  }
}

function deliver(s: Subscription, event: RoomEvent): void {
  if (event.type === 'message') {
    const id = parseMessageId(event.message.id);
    if (!id) return;
    // After a gap read, live copies of what it delivered are dropped here.
    if (s.delivered && compareMessageIds(id, s.delivered) <= 0) return;
    s.delivered = id;
  }
  s.listener(event);
}

function decodeEvent(room: string, payload: string): RoomEvent | null {
  try {
    if (payload.startsWith('m ')) {
      const space = payload.indexOf(' ', 2);
      const id = payload.slice(2, space);
      const body = JSON.parse(payload.slice(space + 1)) as { from: MemberInfo; text: string };
      return { type: 'message', message: { id, room, from: body.from, text: body.text, ts: idTime(id) } };
    }
    const space = payload.indexOf(' ', 2);
    const count = Number(payload.slice(2, space));
    const member = JSON.parse(payload.slice(space + 1)) as MemberInfo;
    if (!Number.isSafeInteger(count)) return null;
    if (payload.startsWith('j ')) return { type: 'join', member, count };
    if (payload.startsWith('l ')) return { type: 'leave', member, count };
  } catch {
    return null;
  }
  return null;
}

function decodeEntry(room: string, [id, fields]: StreamEntry): ChatMessage {
  const body = JSON.parse(fields[1] ?? '{}') as { from: MemberInfo; text: string };
  return { id, room, from: body.from, text: body.text, ts: idTime(id) };
}

/** A stream id's first half is Redis's clock in ms when it was added. */
function idTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

function publicJson(member: MemberInfo): string {
  return JSON.stringify({ id: member.id, name: member.name });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** host:port of a Redis URL, without user or password, for log lines. */
export function redisAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'redis';
  }
}
