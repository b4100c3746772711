import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.ts';
import { BrokerUnavailableError } from './broker.ts';
import { KEEP_SCRIPT, LEAVE_SCRIPT, PUBLISH_SCRIPT, RECORD_SCRIPT } from './redis-scripts.ts';

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

export type CommandClient = Redis & ChatCommands;

export interface ConnectionEvents {
  /** The subscriber connection is (again) up: resubscribe. */
  subscriberReady(): void;
  /** Both connections are (again) up: record what Redis may have lost. */
  bothReady(): void;
}

/**
 * The two connections a replica keeps: one for commands, one for
 * subscriptions. Both fail fast while Redis is away (members get
 * `unavailable`, not a hang) and reconnect by themselves.
 */
export class RedisConnections {
  readonly commands: CommandClient;
  readonly subscriber: Redis;
  private closed = false;
  /** The version of a Redis too old for the scripts, once seen: the broker stays unready. */
  private tooOld: string | null = null;
  /** The connection problem last logged, shared by both connections so each is said once. */
  private lastProblem: string | null = null;

  constructor(
    private readonly url: string,
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
    this.commands = new Redis(url, { ...clientOptions, enableAutoPipelining: true }) as CommandClient;
    this.commands.defineCommand('chatPublish', { numberOfKeys: ROOM_KEY_COUNT, lua: PUBLISH_SCRIPT });
    this.commands.defineCommand('chatRecord', { numberOfKeys: ROOM_KEY_COUNT, lua: RECORD_SCRIPT });
    this.commands.defineCommand('chatLeave', { numberOfKeys: ROOM_KEY_COUNT, lua: LEAVE_SCRIPT });
    this.commands.defineCommand('chatKeep', { numberOfKeys: ROOM_KEY_COUNT, lua: KEEP_SCRIPT });
    this.subscriber = new Redis(url, clientOptions);
    this.watch(this.commands, 'commands', events, () => void this.checkVersion());
    this.watch(this.subscriber, 'subscriber', events, () => events.subscriberReady());
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
    await Promise.all([this.commands, this.subscriber].map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
  }

  private async checkVersion(): Promise<void> {
    try {
      const version = redisVersion(await this.commands.info('server'));
      if (version === null || isSupportedRedis(version)) return;
      this.tooOld = version;
      this.log.error({ redis: redisAddress(this.url), version }, `Redis ${version} is too old: chat-hub needs Redis ${OLDEST_REDIS.join('.')} or newer`);
    } catch (err) {
      // INFO refused (an ACL without it) or the connection went: the scripts say so when they run.
      this.log.warn({ err: describe(err) }, 'could not read the Redis version');
    }
  }

  /** Logs each distinct connection problem once (not once per retry), and the recovery. */
  private watch(client: Redis, role: string, events: ConnectionEvents, onReady?: () => void): void {
    let wasReady = false;
    client.on('error', (err: Error) => {
      const problem = describe(err);
      if (problem === this.lastProblem) return;
      this.lastProblem = problem;
      this.log.error({ redis: redisAddress(this.url), err: problem }, `Redis unreachable: ${problem}`);
    });
    client.on('ready', () => {
      if (this.isReady() && (this.lastProblem !== null || wasReady)) this.log.info({ role }, 'Redis reachable again');
      if (this.isReady()) this.lastProblem = null;
      wasReady = true;
      onReady?.();
      if (this.isReady()) events.bothReady();
    });
  }
}

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

/** host:port of a Redis URL, without user or password, for log lines. */
export function redisAddress(url: string): string {
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
