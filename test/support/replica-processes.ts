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
  await service.waitFor(/listening on/);
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
  const [one, two] = await Promise.all([startReplicaProcess('node-1', replicaEnv), startReplicaProcess('node-2', replicaEnv)]);
  await Promise.all([waitReady(one), waitReady(two)]);
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
