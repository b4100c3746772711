import { afterAll, beforeAll, describe } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import { parseConfig } from '../src/config/config.ts';
import { brokerContract } from './support/broker-contract.ts';
import { eventually } from './support/eventually.ts';
import { RedisCluster, redisClusterAvailable } from './support/redis-cluster.ts';
import { quietLog } from './support/room-world.ts';

describe.runIf(redisClusterAvailable())('Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  brokerContract('redis cluster', async (historySize) => {
    // As a replica reads it: REDIS_CLUSTER_NODES with the chat ACL user's credentials on the first node.
    const nodes = parseConfig({ REDIS_CLUSTER_NODES: cluster.nodesEnv }, { instanceId: 'x' }).redisCluster!;
    const make = (instance: string) =>
      new RedisBroker({ url: nodes, instance, historySize, log: quietLog, livenessTtlMs: 1000, heartbeatMs: 200 });
    const a = make(`a-${Date.now()}`);
    const b = make(`b-${Date.now()}`);
    await eventually(() => {
      if (!a.isReady() || !b.isReady()) throw new Error('brokers not ready');
    }, 10_000);
    return {
      a,
      b,
      close: async () => {
        await Promise.all([a.close(), b.close()]);
      },
    };
  });
});
