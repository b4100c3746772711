import { MemoryBroker, MemoryBus } from '../src/broker/memory.ts';
import { RedisBroker } from '../src/broker/redis.ts';
import type { RedisTarget } from '../src/broker/redis-connection.ts';
import { type ReplicaPair, runContracts } from './support/backends.ts';
import { eventually } from './support/eventually.ts';
import { RedisCluster, redisClusterAvailable } from './support/redis-cluster.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';
import { quietLog } from './support/room-world.ts';

/** The broker and presence contracts over the backends that run in Node (the list: support/backends.ts). */
runContracts('node', {
  memory: {
    start: async () => ({
      pair: async (historySize) => {
        const bus = new MemoryBus({ historySize });
        const [a, b] = [new MemoryBroker(bus), new MemoryBroker(bus)];
        return { a: { broker: a, presence: a }, b: { broker: b, presence: b }, close: async () => {} };
      },
    }),
  },
  Redis: {
    available: redisAvailable,
    start: async () => {
      const redis = await RedisServer.start();
      return { pair: (historySize) => redisPair(redis.url, historySize), stop: () => redis.stop() };
    },
  },
  'Redis Cluster': {
    available: redisClusterAvailable,
    start: async () => {
      const cluster = await RedisCluster.start();
      // As a replica reads it: REDIS_CLUSTER_NODES, with the chat ACL user's credentials on the first node.
      return { pair: (historySize) => redisPair(cluster.target, historySize), stop: () => cluster.stop() };
    },
  },
});

/** Two replicas' brokers on one redis-server or cluster, each its own presence, with a short liveness TTL so that a closed one's members go soon. */
async function redisPair(url: RedisTarget, historySize: number): Promise<ReplicaPair> {
  const make = (instance: string) => new RedisBroker({ url, instance, historySize, log: quietLog, livenessTtlMs: 1000, heartbeatMs: 200 });
  const a = make(`a-${Date.now()}`);
  const b = make(`b-${Date.now()}`);
  await eventually(() => {
    if (!a.isReady() || !b.isReady()) throw new Error('brokers not ready');
  }, 10_000);
  return {
    a: { broker: a, presence: a },
    b: { broker: b, presence: b },
    close: async () => {
      await Promise.all([a.close(), b.close()]);
    },
  };
}
