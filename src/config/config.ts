import {
  DEFAULT_HISTORY_SIZE,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_PRESENCE_LIMIT,
  DEFAULT_ROOM_TTL_SECONDS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_RATE_LIMIT,
  DEFAULT_SEND_BUFFER_LIMIT,
} from '../protocol/index.ts';
import { parseAllowedOrigins } from '../auth/allowed-origins.ts';
import type { AuthSettings } from '../auth/token-verifier.ts';

/** A replica's configuration, read from the environment by every server runtime alike. */
export interface Config {
  port: number;
  host: string;
  instanceId: string;
  redisUrl: string | undefined;
  /** REDIS_CLUSTER_NODES: a Redis Cluster instead of one Redis (never both). */
  redisCluster: RedisClusterConfig | undefined;
  /** How many Redis replicas must have a message before it is acked (WAIT); 0: ack once the master has it. */
  redisWaitReplicas: number;
  /** How long a publish waits for them; past it the message is acked anyway (docs/redis.md). */
  redisWaitTimeoutMs: number;
  historySize: number;
  rateLimit: number;
  maxFrameBytes: number;
  sendBufferLimit: number;
  maxConnections: number;
  /** Members one client address may hold on this replica; 0: no cap. */
  maxConnectionsPerIp: number;
  /** Take the client address from the rightmost `X-Forwarded-For` entry (the proxy in front added it). */
  trustProxy: boolean;
  /** How often Node and Deno ping each member. */
  pingIntervalMs: number;
  /** A member that sent nothing, pongs included, for this long is dropped. */
  idleTimeoutMs: number;
  /** Above this many members, a room sends `count` instead of `join`/`leave`, and welcomes list this many. */
  presenceLimit: number;
  /** Seconds a room with no member and no message is kept; 0: forever. */
  roomTtlSeconds: number;
  /** When set, `/metrics` needs `Authorization: Bearer <token>`; when not, it answers loopback addresses only. */
  metricsToken: string | undefined;
  /** When set, the HTTP API (`/api/…`) is on and needs `Authorization: Bearer <key>`; when not, it answers 404. */
  apiKey: string | undefined;
  /** Token settings; no key (neither secret nor public key) means auth is off. */
  auth: AuthSettings;
  /** ALLOWED_ORIGINS as given (checked here); unset: any Origin is accepted. */
  allowedOrigins: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

/** A Redis Cluster's seed nodes, with the scheme and credentials every node shares. */
export interface RedisClusterConfig {
  /** Where to start: the client learns the other nodes, and which serves which slot, from them. */
  readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** rediss:// on the first node: TLS to every node. */
  readonly tls: boolean;
}

/** A bad variable: the message is one line naming it and what it accepts. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export function parseConfig(env: Env, defaults: { instanceId: string }): Config {
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: text(env, 'HOST', '0.0.0.0', /^[A-Za-z0-9.:_-]{1,253}$/, 'a host name or IP address'),
    instanceId: text(env, 'INSTANCE_ID', defaults.instanceId, /^[A-Za-z0-9_.:-]{1,64}$/, '1–64 characters of A-Z a-z 0-9 _ . : -'),
    redisUrl: redisUrl(env),
    redisCluster: redisCluster(env),
    redisWaitReplicas: redisWaitReplicas(env),
    redisWaitTimeoutMs: integer(env, 'REDIS_WAIT_TIMEOUT_MS', 1000, 1, MAX_REDIS_WAIT_TIMEOUT_MS),
    historySize: integer(env, 'HISTORY_SIZE', DEFAULT_HISTORY_SIZE, 50, 1_000_000),
    rateLimit: integer(env, 'RATE_LIMIT', DEFAULT_RATE_LIMIT, 0, 10_000),
    maxFrameBytes: integer(env, 'MAX_FRAME_BYTES', DEFAULT_MAX_FRAME_BYTES, 256, 16 * 1024 * 1024),
    sendBufferLimit: integer(env, 'SEND_BUFFER_LIMIT', DEFAULT_SEND_BUFFER_LIMIT, 16 * 1024, 1024 * 1024 * 1024),
    maxConnections: integer(env, 'MAX_CONNECTIONS', DEFAULT_MAX_CONNECTIONS, 0, 10_000_000),
    maxConnectionsPerIp: integer(env, 'MAX_CONNECTIONS_PER_IP', 0, 0, 10_000_000),
    trustProxy: flag(env, 'TRUST_PROXY'),
    pingIntervalMs: integer(env, 'PING_INTERVAL_MS', DEFAULT_PING_INTERVAL_MS, 100, 3_600_000),
    idleTimeoutMs: idleTimeout(env),
    presenceLimit: integer(env, 'PRESENCE_LIMIT', DEFAULT_PRESENCE_LIMIT, 1, 1_000_000),
    roomTtlSeconds: integer(env, 'ROOM_TTL', DEFAULT_ROOM_TTL_SECONDS, 0, 10 * 365 * 24 * 3600),
    metricsToken: bearerSecret(env, 'METRICS_TOKEN'),
    apiKey: bearerSecret(env, 'API_KEY'),
    auth: authSettings(env),
    allowedOrigins: allowedOrigins(env),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
  };
}

function present(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not valid: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

function flag(env: Env, name: string): boolean {
  const raw = present(env, name);
  if (raw === undefined || raw === '0') return false;
  if (raw === '1') return true;
  throw new ConfigError(`${name}=${JSON.stringify(raw)} is not valid: expected 0 or 1`);
}

/** Idle detection needs at least one ping to go unanswered, so the timeout is longer than the interval. */
function idleTimeout(env: Env): number {
  const interval = integer(env, 'PING_INTERVAL_MS', DEFAULT_PING_INTERVAL_MS, 100, 3_600_000);
  const timeout = integer(env, 'IDLE_TIMEOUT_MS', Math.max(DEFAULT_IDLE_TIMEOUT_MS, 2 * interval), 200, 7_200_000);
  if (timeout <= interval) {
    throw new ConfigError(`IDLE_TIMEOUT_MS=${timeout} is not valid: expected more than PING_INTERVAL_MS (${interval})`);
  }
  return timeout;
}

/**
 * The key settings, checked as far as can be without importing the key (a
 * PEM is imported at start, by createTokenVerifier). Secrets are never echoed.
 */
function authSettings(env: Env): AuthSettings {
  // The key is the value's bytes as given (docs/protocol.md), spaces included; only an empty one is unset.
  if (env.AUTH_SECRET && present(env, 'AUTH_SECRET') === undefined) {
    throw new ConfigError('AUTH_SECRET is not valid: it is only white space (unset it to run without tokens)');
  }
  const secret = env.AUTH_SECRET || undefined;
  const publicKey = present(env, 'AUTH_PUBLIC_KEY');
  if (secret !== undefined && publicKey !== undefined) {
    throw new ConfigError('AUTH_SECRET and AUTH_PUBLIC_KEY are both set: set one (a secret for HS256, or a public key)');
  }
  if (secret !== undefined && new TextEncoder().encode(secret).length < 32) {
    throw new ConfigError('AUTH_SECRET is not valid: expected at least 32 bytes (openssl rand -hex 32 makes one)');
  }
  return { secret, publicKey, issuer: present(env, 'AUTH_ISSUER'), audience: present(env, 'AUTH_AUDIENCE') };
}

function allowedOrigins(env: Env): string | undefined {
  const raw = present(env, 'ALLOWED_ORIGINS');
  try {
    parseAllowedOrigins(raw);
  } catch (err) {
    throw new ConfigError(`ALLOWED_ORIGINS is not valid: ${(err as Error).message}`);
  }
  return raw;
}

/**
 * A bearer secret (METRICS_TOKEN, API_KEY): what fits in an Authorization
 * header as one credential. Never echoed, unlike text()'s values.
 */
function bearerSecret(env: Env, name: string): string | undefined {
  const raw = present(env, name);
  if (raw !== undefined && !/^[\x21-\x7e]{16,256}$/.test(raw)) {
    throw new ConfigError(`${name} is not valid: expected 16–256 printable ASCII characters without spaces`);
  }
  return raw;
}

function text(env: Env, name: string, fallback: string, pattern: RegExp, accepts: string): string {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!pattern.test(raw)) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not valid: expected ${accepts}`);
  return raw;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, values: readonly T[]): T {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not valid: expected one of ${values.join(', ')}`);
  }
  return raw as T;
}

/** The URL is checked for shape only; its password is never echoed. */
function redisUrl(env: Env): string | undefined {
  const raw = present(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError('REDIS_URL is not valid: expected redis://[user:password@]host[:port][/db] or rediss://…');
  }
  return raw;
}

/** Below the 5 s after which a Redis command counts as failed (redis-connection.ts), so a WAIT ends by itself first. */
const MAX_REDIS_WAIT_TIMEOUT_MS = 4000;

/** REDIS_WAIT_REPLICAS: only with a Redis to wait on. */
function redisWaitReplicas(env: Env): number {
  const replicas = integer(env, 'REDIS_WAIT_REPLICAS', 0, 0, 100);
  if (replicas > 0 && present(env, 'REDIS_URL') === undefined && present(env, 'REDIS_CLUSTER_NODES') === undefined) {
    throw new ConfigError(`REDIS_WAIT_REPLICAS=${replicas} is not valid without REDIS_URL or REDIS_CLUSTER_NODES: the in-memory broker has no replicas to wait for`);
  }
  return replicas;
}

const CLUSTER_NODES_SHAPE =
  'expected host:port nodes separated by commas, the first of them maybe redis://[user:password@]host:port or rediss://… (its scheme and credentials are every node’s)';

/**
 * REDIS_CLUSTER_NODES: seed nodes, `host:port` each; the first may be a URL
 * whose scheme and credentials apply to every node (a cluster's nodes share
 * them). Entries are named by position, never echoed: one may hold a password.
 */
function redisCluster(env: Env): RedisClusterConfig | undefined {
  const raw = present(env, 'REDIS_CLUSTER_NODES');
  if (raw === undefined) return undefined;
  if (present(env, 'REDIS_URL') !== undefined) {
    throw new ConfigError('REDIS_URL and REDIS_CLUSTER_NODES are both set: set REDIS_URL for one Redis, or REDIS_CLUSTER_NODES for a Redis Cluster');
  }
  const entries = raw.split(',').map((e) => e.trim());
  const urls = entries.map((entry, i) => {
    const hasScheme = entry.includes('://');
    if (hasScheme && i > 0) throw new ConfigError(`REDIS_CLUSTER_NODES is not valid: node ${i + 1} has a scheme; ${CLUSTER_NODES_SHAPE}`);
    let url: URL | undefined;
    try {
      url = new URL(hasScheme ? entry : `redis://${entry}`);
    } catch {
      url = undefined;
    }
    const bare = url && url.pathname.replace(/^\/0?$/, '') === '' && url.search === '' && url.hash === '';
    if (!url || !bare || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
      throw new ConfigError(`REDIS_CLUSTER_NODES is not valid: node ${i + 1} is not host:port; ${CLUSTER_NODES_SHAPE}`);
    }
    return url;
  });
  const first = urls[0]!;
  return {
    nodes: urls.map((u) => ({ host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port || 6379) })),
    username: first.username === '' ? undefined : decodeURIComponent(first.username),
    password: first.password === '' ? undefined : decodeURIComponent(first.password),
    tls: first.protocol === 'rediss:',
  };
}
