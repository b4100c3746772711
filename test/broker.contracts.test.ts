import { MemoryBroker, MemoryBus } from '../src/broker/memory.ts';
import { RedisBroker } from '../src/broker/redis.ts';
import { type ReplicaPair, runContracts } from './support/backends.ts';
import { eventually } from './support/eventually.ts';
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
});

/** Two replicas' brokers on one redis-server, each its own presence, with a short liveness TTL so that a closed one's members go soon. */
async function redisPair(url: string, historySize: number): Promise<ReplicaPair> {
  const make = (instance: string) => new RedisBroker({ url, instance, historySize, log: quietLog, livenessTtlMs: 1000, heartbeatMs: 200 });
  const a = make(`a-${Date.now()}`);
  const b = make(`b-${Date.now()}`);
  await eventually(() => {
    if (!a.isReady() || !b.isReady()) throw new Error('brokers not ready');
  });
  return {
    a: { broker: a, presence: a },
    b: { broker: b, presence: b },
    close: async () => {
      await Promise.all([a.close(), b.close()]);
    },
  };
}
