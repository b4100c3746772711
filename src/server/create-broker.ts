import type { Broker } from '../broker/broker.ts';
import { MemoryBroker, MemoryBus } from '../broker/memory.ts';
import { RedisBroker, redisAddress } from '../broker/redis.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';

/** The Redis broker when REDIS_URL or REDIS_CLUSTER_NODES is set, else an in-memory one of this process's own. */
export function createBroker(config: Config, log: Logger): Broker {
  const roomTtlMs = config.roomTtlSeconds * 1000;
  const redis = config.redisCluster ?? config.redisUrl;
  if (redis === undefined) return new MemoryBroker(new MemoryBus({ historySize: config.historySize, roomTtlMs }));
  return new RedisBroker({ url: redis, instance: config.instanceId, historySize: config.historySize, roomTtlMs, log });
}

/** How the broker is named in logs: never with its password. */
export function brokerName(config: Config): string {
  const redis = config.redisCluster ?? config.redisUrl;
  return redis === undefined ? 'memory' : redisAddress(redis);
}
