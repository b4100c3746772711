import { afterAll, beforeAll } from 'vitest';
import { ServiceProcess, freePort } from './service-process.ts';
import { eventually } from './eventually.ts';
import { RedisServer } from './redis-server.ts';
import { TestClient } from './test-client.ts';

export interface ReplicaProcess {
  name: string;
  port: number;
  service: ServiceProcess;
  wsUrl(room: string, query?: Record<string, string>): string;
  httpUrl(path: string): string;
}

/** `npm start` as a real process on a free port, with the given environment; resolves once it listens. */
export async function startReplicaProcess(name: string, env: Record<string, string>, port?: number): Promise<ReplicaProcess> {
  const chosen = port ?? (await freePort());
  const service = ServiceProcess.start(name, 'src/node/main.ts', { PORT: String(chosen), HOST: '127.0.0.1', INSTANCE_ID: name, ...env });
  try {
    // A cold start of several replicas through tsx on two loaded cores has taken over 15 s in CI
    // (the log tests' starts, beside the others, 14 s and more).
    await service.waitFor(/listening on/, 60_000);
  } catch (err) {
    // One that never listened is stopped here: no caller holds it to stop.
    await service.stop();
    throw err;
  }
  return {
    name,
    port: chosen,
    service,
    wsUrl: (room, query = {}) => {
      const qs = new URLSearchParams(query).toString();
      return `ws://127.0.0.1:${chosen}/ws/${room}${qs ? `?${qs}` : ''}`;
    },
    httpUrl: (path) => `http://127.0.0.1:${chosen}${path}`,
  };
}

/** Waits until /readyz answers `status` (200 ready, 503 not). */
export async function waitReady(replica: ReplicaProcess, status = 200, timeoutMs = 10_000): Promise<void> {
  await eventually(async () => {
    const res = await fetch(replica.httpUrl('/readyz'));
    if (res.status !== status) throw new Error(`${replica.name} /readyz is ${res.status}, waiting for ${status}`);
  }, timeoutMs);
}

/** A replica process on this Redis, once it is ready; on `port` to start one again where it was. */
export async function startReadyReplica(name: string, redisUrl: string, port?: number): Promise<ReplicaProcess> {
  const replica = await startReplicaProcess(name, { REDIS_URL: redisUrl }, port);
  await waitReady(replica);
  return replica;
}

/** A redis-server of the test's own and two replica processes on it, ready; `join` keeps clients to close. */
export async function startRedisPair(env: Record<string, string> = {}) {
  const redis = await RedisServer.start();
  const replicaEnv = { REDIS_URL: redis.url, ...env };
  const started = await Promise.allSettled([startReplicaProcess('node-1', replicaEnv), startReplicaProcess('node-2', replicaEnv)]);
  const up = started.map((s) => (s.status === 'fulfilled' ? s.value : null));
  const stopAll = async () => {
    await Promise.all(up.map((r) => r?.service.stop()));
    await redis.stop();
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  // Nobody else holds these yet: a pair that did not come up whole is stopped here.
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  const [one, two] = up as [ReplicaProcess, ReplicaProcess];
  try {
    await Promise.all([waitReady(one), waitReady(two)]);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const clients: TestClient[] = [];
  return {
    redis,
    one,
    two,
    async join(replica: ReplicaProcess, name: string, room: string, query: Record<string, string> = {}) {
      const joined = await TestClient.join(replica.wsUrl(room, { name, ...query }));
      clients.push(joined.client);
      return joined;
    },
    async close() {
      for (const c of clients) c.close();
      await Promise.all([one.service.stop(), two.service.stop()]);
      await redis.stop();
    },
  };
}

export type RedisPair = Awaited<ReturnType<typeof startRedisPair>>;

/**
 * For the tests of one describe block: a redis-server of their own, `replica`
 * (node-1) on it and `second` (node-2) with `env(redis)`, both ready before
 * the tests and stopped after them all.
 */
export function useRedisAndTwoReplicas(env: (redis: RedisServer) => Record<string, string>): {
  readonly redis: RedisServer;
  readonly replica: ReplicaProcess;
  readonly second: ReplicaProcess;
} {
  const up: { redis?: RedisServer; replica?: ReplicaProcess; second?: ReplicaProcess } = {};
  beforeAll(async () => {
    const redis = (up.redis = await RedisServer.start());
    await Promise.all([
      startReadyReplica('node-1', redis.url).then((r) => (up.replica = r)),
      startReplicaProcess('node-2', env(redis)).then((r) => waitReady((up.second = r))),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([up.replica, up.second].map((r) => r?.service.stop()));
    await up.redis?.stop();
  });
  return {
    get redis() {
      return up.redis!;
    },
    get replica() {
      return up.replica!;
    },
    get second() {
      return up.second!;
    },
  };
}
