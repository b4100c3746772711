import type { Broker } from '../broker/broker.ts';
import { MemoryBroker, MemoryBus } from '../broker/memory.ts';
import type { Presence } from '../broker/presence.ts';
import { RedisBroker, redisAddress } from '../broker/redis.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';

/**
 * What a replica's rooms run on. Both come from one object, which keeps them
 * over one bus or one pair of connections: `broker.close()` ends presence too.
 */
export interface RoomBackend {
  readonly broker: Broker;
  readonly presence: Presence;
}

/**
 * The Redis broker when REDIS_URL or REDIS_CLUSTER_NODES is set, else an
 * in-memory one of this process's own, each its own presence.
 */
export function createBroker(config: Config, log: Logger): RoomBackend {
  const roomTtlMs = config.roomTtlSeconds * 1000;
  const redis = config.redisCluster ?? config.redisUrl;
  const broker =
    redis === undefined
      ? new MemoryBroker(new MemoryBus({ historySize: config.historySize, roomTtlMs }))
      : new RedisBroker({
          url: redis,
          instance: config.instanceId,
          historySize: config.historySize,
          roomTtlMs,
          waitReplicas: config.redisWaitReplicas,
          waitTimeoutMs: config.redisWaitTimeoutMs,
          log,
        });
  return { broker, presence: broker };
}

/** How the broker is named in logs: never with its password. */
export function brokerName(config: Config): string {
  const redis = config.redisCluster ?? config.redisUrl;
  return redis === undefined ? 'memory' : redisAddress(redis);
}
