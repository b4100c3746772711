import { Cluster, Command, Redis, type RedisOptions } from 'ioredis';
import type { RedisClusterConfig } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import { BrokerUnavailableError } from './broker.ts';
import { KEEP_SCRIPT, type PublishCommand, leaveScript, publishScript, recordScript } from './redis-scripts.ts';

/** Where Redis is: one server's `redis://`/`rediss://` URL (credentials included), or a Redis Cluster's seed nodes. */
export type RedisTarget = string | RedisClusterConfig;

type RoomKeyArgs = readonly [log: string, members: string, refs: string, refExpiries: string, swept: string];
/** Every script takes all of a room's keys (roomKeys().all). */
const ROOM_KEY_COUNT = 5;

/** The scripts of redis-scripts.ts as commands; each takes the room's keys first. */
export interface ChatCommands {
  chatPublish(...args: [...RoomKeyArgs, maxLen: number, payload: string, channel: string, ref: string, refTtlMs: number, floor: string, roomTtlMs: number]): Promise<[number, string]>;
  chatRecord(...args: [...RoomKeyArgs, channel: string, id: string, stored: string, member: string, roomTtlMs: number, announce: '0' | '1']): Promise<number>;
  chatLeave(...args: [...RoomKeyArgs, channel: string, roomTtlMs: number, swept: '0' | '1', ...pairs: string[]]): Promise<number>;
  chatKeep(...args: [...RoomKeyArgs, roomTtlMs: number]): Promise<number>;
}

export type CommandClient = (Redis | Cluster) & ChatCommands;

export interface ConnectionEvents {
  /** The subscriber connection is (again) up, or a cluster's sharded subscribers changed: resubscribe. */
  subscriberReady(): void;
  /** Both connections are (again) up: record what Redis may have lost. */
  bothReady(): void;
}

/**
 * The connections a replica keeps. On one Redis: one for commands, one for
 * subscriptions (SUBSCRIBE). On a Redis Cluster: one ioredis Cluster, whose
 * commands go to the master of their key's slot and whose sharded subscribers
 * (one connection per master) take each room's SSUBSCRIBE on the room's shard.
 * Both fail fast while Redis is away (members get `unavailable`, not a hang)
 * and reconnect by themselves.
 */
export class RedisConnections {
  readonly commands: CommandClient;
  /** On one Redis, the subscriber connection; on a cluster, the Cluster itself (its sharded subscribers). */
  readonly subscriber: Redis | Cluster;
  /** What the scripts publish with: SPUBLISH on a cluster. */
  readonly publishCommand: PublishCommand;
  private closed = false;
  /** The version of a Redis too old for the scripts, once seen: the broker stays unready. */
  private tooOld: string | null = null;
  /** The connection problem last logged, shared by both connections so each is said once. */
  private lastProblem: string | null = null;
  /** On a cluster, when each problem was last logged: a failing node gives several, in turns. */
  private readonly clusterProblems = new Map<string, number>();

  constructor(
    private readonly target: RedisTarget,
    private readonly log: Logger,
    events: ConnectionEvents,
  ) {
    const clientOptions: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 5000,
      autoResubscribe: false,
      disableClientInfo: true,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    };
    if (typeof target === 'string') {
      this.publishCommand = 'PUBLISH';
      this.commands = new Redis(target, { ...clientOptions, enableAutoPipelining: true }) as CommandClient;
      this.subscriber = new Redis(target, clientOptions);
      this.defineScripts();
      this.watch(this.commands, 'commands', events, () => void this.checkVersion());
      this.watch(this.subscriber, 'subscriber', events, () => events.subscriberReady());
      return;
    }
    this.publishCommand = 'SPUBLISH';
    const { retryStrategy, enableOfflineQueue, ...nodeOptions } = clientOptions;
    const cluster = new Cluster(
      target.nodes.map(({ host, port }) => ({ host, port })),
      {
        shardedSubscribers: true,
        // Read the slot map every 2 s, not only on MOVED or a lost node: when a slot moves, its old
        // master ends the shard subscription (SUNSUBSCRIBE), and the refresh ioredis makes then can
        // read a node that has not learnt the move yet; it sees no change and subscribes nowhere
        // (ClusterSubscriberGroup.reset, "No topology change detected": node_modules/ioredis/built/
        // cluster/ClusterSubscriberGroup.js). The next refresh sees the move (or, for a slot given up
        // and taken back, a subscriber left with nothing), and the rooms of that slot are subscribed
        // again and caught up from their logs.
        slotsRefreshInterval: 2000,
        enableOfflineQueue,
        // Off: an autopipeline holds commands of many slots, and a failover or a moved slot fails or
        // re-sends it whole (https://github.com/redis/ioredis/issues/2075); in the failover test, with
        // it on, a replica's connection to the new master timed out commands and one publish got
        // another command's reply.
        enableAutoPipelining: false,
        clusterRetryStrategy: retryStrategy,
        redisOptions: {
          ...nodeOptions,
          username: target.username,
          password: target.password,
          ...(target.tls ? { tls: {} } : {}),
        },
      },
    );
    this.commands = cluster as CommandClient;
    this.subscriber = cluster;
    this.defineScripts();
    // What the rooms were last subscribed under: which master serves each slot, and whether a
    // sharded subscriber's connection ended since (its '-node' names the node; the command
    // connections' '-node' does not).
    let masters = '';
    let subscriberLost = false;
    const slotMasters = () => cluster.slots.map((nodes) => nodes?.[0] ?? '').join(',');
    cluster.on('-node', (_redis: unknown, nodeKey?: string) => {
      if (nodeKey !== undefined) subscriberLost = true;
    });
    this.watch(cluster, 'cluster', events, () => {
      void this.checkVersion();
      masters = slotMasters();
      subscriberLost = false;
      events.subscriberReady();
    });
    // Emitted after the sharded subscribers were set up again (node_modules/ioredis/built/cluster/
    // ClusterSubscriberGroup.js, reset() then _resubscribe()), also after a Redis push of SUNSUBSCRIBE
    // for a slot that left a node (built/DataHandler.js, "moved"). It also comes when ioredis only
    // re-read an unchanged slot map: the rooms' gaps are read only when a master changed or a
    // subscriber's connection ended.
    cluster.on('subscribersReady', () => {
      const now = slotMasters();
      if (!this.isReady() || (!subscriberLost && now === masters)) return;
      masters = now;
      subscriberLost = false;
      events.subscriberReady();
    });
    cluster.on('node error', (err: Error) => this.logProblem(err));
    cluster.on('ready', () => this.clusterProblems.clear());
  }

  /**
   * Subscribes room channels; each promise settles when its channel is
   * subscribed or could not be. On one Redis: one SUBSCRIBE, all or none. On a
   * cluster: an SSUBSCRIBE per channel (ioredis's sharded subscribers take one
   * slot per call), each on the connection to its room's master, so a master
   * that is down holds up its own rooms only.
   */
  subscribeChannels(channels: string[]): Array<Promise<void>> {
    if (this.subscriber instanceof Cluster) {
      const cluster = this.subscriber;
      return channels.map(async (c) => void (await cluster.ssubscribe(c)));
    }
    const all = this.subscriber.subscribe(...channels).then(() => undefined);
    return channels.map(() => all);
  }

  /**
   * WAIT: how many of the master's replicas have acknowledged every write
   * this replica's connection to it made so far, the script just run for
   * `key` included, waiting up to `timeoutMs` for `replicas` of them. WAIT
   * counts the writes of the connection it is sent on, so it goes where the
   * script went. On one Redis that is the commands connection (autopipelined:
   * a WAIT sent after the script's reply comes after it there). On a cluster,
   * ioredis would send a keyless command to a random master (built/cluster/
   * index.js, sendCommand: no slot, so `getSampleInstance`); it goes instead
   * to the connection of the master that `cluster.slots` names for the key's
   * slot, the one the script was sent on (the same code picks
   * `slots[slot][0]` for it, and a MOVED reply rewrites that entry before
   * the script is sent again). Sent as the script's reply arrives, so no
   * refresh of the slot map falls between them. Only a script whose slot
   * moved while it ran (redirected by ASK half-way through a move, or the
   * slot map re-read between its sending and its reply) ran elsewhere: the
   * WAIT then answers for other writes than the script's.
   */
  waitForReplicas(key: string, replicas: number, timeoutMs: number): Promise<number> {
    const { commands } = this;
    if (!(commands instanceof Cluster)) return commands.wait(replicas, timeoutMs);
    const slot = new Command('xlen', [key]).getSlot();
    const master = slot === null ? undefined : commands.slots[slot]?.[0];
    const connection = commands.nodes('all').find((node) => `${node.options.host}:${node.options.port}` === master);
    if (!connection) return Promise.reject(new Error(`no connection to the master of slot ${slot} (${master ?? 'unknown'})`));
    return connection.wait(replicas, timeoutMs);
  }

  async unsubscribeChannel(channel: string): Promise<void> {
    if (this.subscriber instanceof Cluster) await this.subscriber.sunsubscribe(channel);
    else await this.subscriber.unsubscribe(channel);
  }

  /**
   * Whether the client subscribes again by itself, after a reconnect, what it
   * was subscribed to: a Cluster's sharded subscribers do (they keep their
   * channels, ClusterSubscriberGroup.addChannels/removeChannels in
   * node_modules/ioredis/built/cluster/ClusterSubscriberGroup.js); one Redis
   * does not (autoResubscribe is off).
   */
  resubscribesByItself(): boolean {
    return this.subscriber instanceof Cluster;
  }

  /** Whether subscribing can be tried now. */
  subscriberIsUp(): boolean {
    return this.subscriber.status === 'ready';
  }

  /** Every event on a room channel, from either kind of subscription. */
  onChannelMessage(listener: (channel: string, payload: string) => void): void {
    this.subscriber.on(this.subscriber instanceof Cluster ? 'smessage' : 'message', listener);
  }

  isReady(): boolean {
    return !this.closed && this.tooOld === null && this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  /** Runs a command that needs Redis, as BrokerUnavailableError when it is away or fails. */
  async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (!this.isReady()) throw new BrokerUnavailableError();
    try {
      return await command();
    } catch (err) {
      throw new BrokerUnavailableError(`Redis failed during ${what}: ${describe(err)}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    // quit() lets replies in flight (a last leave) arrive; a connection that is down just stops.
    const clients = new Set<Redis | Cluster>([this.commands, this.subscriber]);
    await Promise.all([...clients].map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
  }

  private async checkVersion(): Promise<void> {
    try {
      const version = redisVersion(await this.commands.info('server'));
      if (version === null || isSupportedRedis(version)) return;
      this.tooOld = version;
      this.log.error({ redis: redisAddress(this.target), version }, `Redis ${version} is too old: chat-hub needs Redis ${OLDEST_REDIS.join('.')} or newer`);
    } catch (err) {
      // INFO refused (an ACL without it) or the connection went: the scripts say so when they run.
      this.log.warn({ err: describe(err) }, 'could not read the Redis version');
    }
  }

  private defineScripts(): void {
    this.commands.defineCommand('chatPublish', { numberOfKeys: ROOM_KEY_COUNT, lua: publishScript(this.publishCommand) });
    this.commands.defineCommand('chatRecord', { numberOfKeys: ROOM_KEY_COUNT, lua: recordScript(this.publishCommand) });
    this.commands.defineCommand('chatLeave', { numberOfKeys: ROOM_KEY_COUNT, lua: leaveScript(this.publishCommand) });
    this.commands.defineCommand('chatKeep', { numberOfKeys: ROOM_KEY_COUNT, lua: KEEP_SCRIPT });
  }

  /**
   * Logs each distinct connection problem once, not once per retry: on one
   * Redis, until another problem or a recovery; on a cluster, once a minute at
   * most (a master that is down until its replica takes over fails reconnects
   * and commands in turns, and the cluster as a whole stays up).
   */
  private logProblem(err: Error): void {
    const problem = describe(err);
    if (problem === this.lastProblem) return;
    if (this.subscriber instanceof Cluster) {
      const now = Date.now();
      if (now - (this.clusterProblems.get(problem) ?? -Infinity) < CLUSTER_PROBLEM_QUIET_MS) return;
      this.clusterProblems.set(problem, now);
    }
    this.lastProblem = problem;
    this.log.error({ redis: redisAddress(this.target), err: problem }, `Redis unreachable: ${problem}`);
  }

  /** Logs each distinct connection problem once, and the recovery. */
  private watch(client: Redis | Cluster, role: string, events: ConnectionEvents, onReady?: () => void): void {
    let wasReady = false;
    client.on('error', (err: Error) => this.logProblem(err));
    client.on('ready', () => {
      if (this.isReady() && (this.lastProblem !== null || wasReady)) this.log.info({ role }, 'Redis reachable again');
      if (this.isReady()) this.lastProblem = null;
      wasReady = true;
      onReady?.();
      if (this.isReady()) events.bothReady();
    });
  }
}

/** How long a cluster's connection problem is not logged again. */
const CLUSTER_PROBLEM_QUIET_MS = 60_000;

/** The oldest Redis the scripts run on: `PEXPIRE … GT` came in 7.0. */
const OLDEST_REDIS = [7, 0] as const;

/** `redis_version` from an INFO reply, or null when absent. */
export function redisVersion(info: string): string | null {
  return /^redis_version:([^\r\n]+)/m.exec(info)?.[1]?.trim() ?? null;
}

export function isSupportedRedis(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > OLDEST_REDIS[0] || (major === OLDEST_REDIS[0] && minor >= OLDEST_REDIS[1]);
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** host:port of a Redis URL, or a cluster's seed nodes, without user or password, for log lines. */
export function redisAddress(target: RedisTarget): string {
  if (typeof target !== 'string') return `${target.tls ? 'rediss' : 'redis'} cluster ${target.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  const url = target;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'redis';
  }
}

/** Waits `ms` before a retry. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
