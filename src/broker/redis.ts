import { type MemberInfo, formatMessageId, parseMessageId, RECENT_BACKLOG, REF_TTL_MS } from '../protocol/index.ts';
import type { Logger } from '../logger.ts';
import { throttledLog } from '../log-bounds.ts';
import type { Broker, History, Page, PageRequest, PublishRequest, Published, RoomListener } from './broker.ts';
import { type StreamEntry, decodeEntry, encodeMessageBody, idTime } from './redis-codec.ts';
import { RedisConnections, type RedisTarget } from './redis-connection.ts';
import { roomKeys } from './redis-keys.ts';
import type { Presence } from './presence.ts';
import { RedisPresence } from './redis-presence.ts';
import { DEFAULT_MAX_HELD_EVENTS, RoomSubscriptions } from './redis-subscriptions.ts';

export { redisAddress } from './redis-connection.ts';

export interface RedisBrokerOptions {
  /** `redis://` or `rediss://`, credentials included, or a Redis Cluster's nodes; handed to ioredis, never logged. */
  url: RedisTarget;
  instance: string;
  historySize: number;
  /** A room with no member and no message for this long is forgotten (its keys expire); 0 or absent: never. */
  roomTtlMs?: number;
  log: Logger;
  /** A replica incarnation whose liveness key is older than this is taken for dead. */
  livenessTtlMs?: number;
  /** How often the liveness key is refreshed and dead incarnations' members are removed. */
  heartbeatMs?: number;
  /** How many live events a room holds while its gap is read after a reconnect; past it the room is reset. */
  maxHeldEvents?: number;
  /** REDIS_WAIT_REPLICAS: how many Redis replicas must have a message before its publish resolves; 0 or absent: none. */
  waitReplicas?: number;
  /** REDIS_WAIT_TIMEOUT_MS: how long a publish waits for them. */
  waitTimeoutMs?: number;
}

/**
 * The longest wait between two refreshes of a held room's TTL: a quarter of
 * the TTL, so a refresh that fails now and then still keeps the room, and at
 * most an hour (a 7-day TTL needs no more; timers also end at 2^31 ms).
 */
const MAX_KEEP_INTERVAL_MS = 3_600_000;

/** REDIS_WAIT_TIMEOUT_MS's default (config.ts). */
const DEFAULT_WAIT_TIMEOUT_MS = 1000;

/**
 * The broker over Redis, for replicas in separate processes. Ids come from the
 * room's stream, so they increase per room even after Redis restarted empty or
 * forgot the room. Roles live beside it: connections, subscriptions (with the
 * gap read after a reconnect), presence (with incarnations) and the codec.
 * It is its replica's Presence too, by RedisPresence: both share its two
 * connections and its lifetime (presence is restored when both are up again,
 * kept by its heartbeat, and removed by close() before they close).
 *
 * Room lifetime: every write to a room (publish, join, leave) sets all of its
 * keys to expire after ROOM_TTL, and each replica refreshes that TTL for the
 * rooms it holds members in, well within the TTL. So a room with a member is
 * kept however quiet, and a room nobody is in, or whose replicas all died,
 * expires ROOM_TTL after its last write or refresh, with no one to sweep it.
 */
export class RedisBroker implements Broker, Presence {
  private readonly connections: RedisConnections;
  private readonly subscriptions: RoomSubscriptions;
  private readonly presence: RedisPresence;
  private readonly roomTtlMs: number;
  private readonly timers: Array<ReturnType<typeof setInterval>> = [];
  private readonly ackedUnreplicated: (context: object) => void;
  private closed = false;
  /** Whether this incarnation said it is alive (presence.restore ran) since the broker started. */
  private presenceRestored = false;

  constructor(private readonly options: RedisBrokerOptions) {
    this.roomTtlMs = options.roomTtlMs ?? 0;
    this.ackedUnreplicated = throttledLog(options.log, 'message acked before REDIS_WAIT_REPLICAS replicas had it: WAIT timed out', 'warn');
    this.connections = new RedisConnections(options.url, options.log, {
      subscriberReady: () => void this.subscriptions.resync(),
      bothReady: () => void this.presence.restore().finally(() => (this.presenceRestored = true)),
    });
    this.subscriptions = new RoomSubscriptions(this.connections, { log: options.log, maxHeldEvents: options.maxHeldEvents ?? DEFAULT_MAX_HELD_EVENTS });
    this.presence = new RedisPresence(this.connections, {
      instance: options.instance,
      livenessTtlMs: options.livenessTtlMs ?? 15_000,
      roomTtlMs: this.roomTtlMs,
      log: options.log,
    });
    this.every(options.heartbeatMs ?? 5000, () => this.presence.beat());
    if (this.roomTtlMs > 0) this.every(Math.min(this.roomTtlMs / 4, MAX_KEEP_INTERVAL_MS), () => this.presence.keepHeldRooms());
  }

  isReady(): boolean {
    // Not before this incarnation's liveness key was first written: on a cluster it lives on another
    // master than a room's members, so nothing orders a first join after it, and a sweep would take
    // a member joined before it for one of a dead replica.
    return this.presenceRestored && this.connections.isReady();
  }

  async publish({ room, from, text, ref }: PublishRequest): Promise<Published> {
    const keys = roomKeys(room);
    const seen = this.subscriptions.lastDelivered(room);
    const [duplicate, id] = await this.connections.run('publish', () =>
      this.connections.commands.chatPublish(
        ...keys.all,
        this.options.historySize,
        encodeMessageBody(from, text),
        keys.channel,
        ref ?? '',
        REF_TTL_MS,
        seen ? formatMessageId(seen) : '',
        this.roomTtlMs,
      ),
    );
    await this.waitForReplicas(room, keys.log);
    return { id, ts: idTime(id), duplicate: duplicate === 1 };
  }

  /**
   * With REDIS_WAIT_REPLICAS, holds the ack until that many of the master's
   * replicas have the message, so a failover to one of them keeps it. A WAIT
   * that fails (the master went away) rejects as unavailable: the message may
   * be lost, and the client's re-send with its ref is answered with the first
   * id if the log kept it, or published anew if it did not. A WAIT that times
   * out does not: the master has the message and its subscribers got it, so
   * it is acked, and logged (docs/redis.md, "Acks that wait for a Redis
   * replica"). A re-sent ref waits too: for what this replica wrote there,
   * the first publish included when it was this replica's.
   */
  private async waitForReplicas(room: string, log: string): Promise<void> {
    const wanted = this.options.waitReplicas ?? 0;
    if (wanted === 0) return;
    const timeoutMs = this.options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    const replicas = await this.connections.run('publish (WAIT)', () => this.connections.waitForReplicas(log, wanted, timeoutMs));
    if (replicas < wanted) this.ackedUnreplicated({ room, replicas, wanted, timeoutMs });
  }

  subscribe(room: string, listener: RoomListener): Promise<void> {
    return this.subscriptions.subscribe(room, listener);
  }

  unsubscribe(room: string, listener: RoomListener): Promise<void> {
    return this.subscriptions.unsubscribe(room, listener);
  }

  async history(room: string, since: string | undefined): Promise<History> {
    const { log } = roomKeys(room);
    const { commands } = this.connections;
    if (since !== undefined && parseMessageId(since)) {
      // One transaction, so no trim can fall between "since is held" and "read what follows".
      const [held, after] = await this.connections.run('history', async () => {
        const replies = await commands.multi().xrange(log, since, since).xrange(log, `(${since}`, '+').exec();
        return (replies ?? []).map(([err, value]) => {
          if (err) throw err;
          return value as StreamEntry[];
        });
      });
      if (held && held.length > 0) return { recovered: true, messages: (after ?? []).map((e) => decodeEntry(room, e)) };
    }
    const recent = await this.connections.run('history', () => commands.xrevrange(log, '+', '-', 'COUNT', RECENT_BACKLOG));
    return { recovered: false, messages: recent.reverse().map((e) => decodeEntry(room, e)) };
  }

  async page(room: string, { before, after, limit }: PageRequest): Promise<Page> {
    const { log } = roomKeys(room);
    const { commands } = this.connections;
    // One more than asked: whether it comes tells whether a next page exists. `(` makes a bound exclusive (Redis ≥ 6.2).
    const count = limit + 1;
    const entries = await this.connections.run('page', async (): Promise<StreamEntry[]> => {
      if (after !== undefined) return commands.xrange(log, `(${after}`, '+', 'COUNT', count);
      // Nothing is older than 0-0, and Redis refuses `(0-0` as an end.
      if (before === '0-0') return [];
      return commands.xrevrange(log, before === undefined ? '+' : `(${before}`, '-', 'COUNT', count);
    });
    const messages = entries.slice(0, limit).map((e) => decodeEntry(room, e));
    return { messages, next: entries.length > limit ? messages.at(-1)!.id : null };
  }

  join(room: string, member: MemberInfo): Promise<void> {
    return this.presence.join(room, member);
  }

  leave(room: string, member: MemberInfo): Promise<void> {
    return this.presence.leave(room, member);
  }

  members(room: string): Promise<MemberInfo[]> {
    return this.presence.members(room);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.presence.removeAll();
    this.subscriptions.close();
    await this.connections.close();
  }

  private every(ms: number, task: () => Promise<void>): void {
    const timer = setInterval(() => void task(), ms);
    timer.unref?.();
    this.timers.push(timer);
  }
}
