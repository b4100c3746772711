import { afterAll, beforeAll, describe } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import { brokerContract } from './support/broker-contract.ts';
import { eventually } from './support/eventually.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';
import { quietLog } from './support/room-world.ts';

describe.runIf(redisAvailable())('Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  brokerContract('redis', async (historySize) => {
    const make = (instance: string) =>
      new RedisBroker({ url: redis.url, instance, historySize, log: quietLog, livenessTtlMs: 1000, heartbeatMs: 200 });
    const a = make(`a-${Date.now()}`);
    const b = make(`b-${Date.now()}`);
    await eventually(() => {
      if (!a.isReady() || !b.isReady()) throw new Error('brokers not ready');
    });
    return {
      a,
      b,
      close: async () => {
        await Promise.all([a.close(), b.close()]);
      },
    };
  });
});
