import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSupportedRedis, redisVersion } from '../src/broker/redis-connection.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';

describe('the Redis version the scripts need (7.0: PEXPIRE … GT)', () => {
  it('refuses what came before 7.0 and takes 7.0 and later', () => {
    expect(['6.0.20', '6.2.14', '5.0.7'].map(isSupportedRedis)).toEqual([false, false, false]);
    expect(['7.0.0', '7.0.15', '7.2.4', '8.0.1', '10.1.0'].map(isSupportedRedis)).toEqual([true, true, true, true, true]);
  });

  describe.runIf(redisAvailable())('on a real redis-server', () => {
    let redis: RedisServer;
    let client: Redis;
    beforeAll(async () => {
      redis = await RedisServer.start();
      client = new Redis(redis.url);
    });
    afterAll(async () => {
      client?.disconnect();
      await redis?.stop();
    });

    it('reads redis_version from INFO server as the broker does', async () => {
      const version = redisVersion(await client.info('server'));
      expect(version).toMatch(/^\d+\.\d+\.\d+$/);
      // The machine's own redis-server is what the suite runs on; it must be one the scripts accept.
      expect(isSupportedRedis(version!)).toBe(true);
    });
  });
});
