import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config/config.ts';
import { brokerName } from '../src/server/create-broker.ts';

const parse = (env: Record<string, string>) => parseConfig(env, { instanceId: 't' });

describe('REDIS_CLUSTER_NODES', () => {
  it('takes host:port seed nodes, the first maybe a URL whose scheme and credentials every node gets', () => {
    expect(parse({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001,redis-3' }).redisCluster).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-3', port: 6379 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
    const secure = parse({ REDIS_CLUSTER_NODES: 'rediss://chat:p%40ss@[::1]:7000,10.0.0.2:7001' }).redisCluster;
    expect(secure).toEqual({ nodes: [{ host: '::1', port: 7000 }, { host: '10.0.0.2', port: 7001 }], username: 'chat', password: 'p@ss', tls: true });
  });

  it('changes nothing when unset: REDIS_URL alone is one Redis', () => {
    const config = parse({ REDIS_URL: 'redis://10.0.0.5:6379' });
    expect(config.redisCluster).toBeUndefined();
    expect(config.redisUrl).toBe('redis://10.0.0.5:6379');
  });

  it.each([
    ['both variables', { REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:7000' }, /REDIS_URL and REDIS_CLUSTER_NODES are both set/],
    ['a scheme after the first node', { REDIS_CLUSTER_NODES: 'a:7000,redis://u:secret-pw@b:7001' }, /node 2 has a scheme/],
    ['another scheme', { REDIS_CLUSTER_NODES: 'http://u:secret-pw@a:7000' }, /node 1 is not host:port/],
    ['a path', { REDIS_CLUSTER_NODES: 'a:7000/3' }, /node 1 is not host:port/],
    ['an empty node', { REDIS_CLUSTER_NODES: 'a:7000,,b:7001' }, /node 2 is not host:port/],
    ['a bad port', { REDIS_CLUSTER_NODES: 'a:99999' }, /node 1 is not host:port/],
  ])('refuses %s in one line that holds no password', (_, env, message) => {
    let error: unknown;
    try {
      parse(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('secret-pw');
  });

  it('names the cluster in logs by its nodes, without credentials', () => {
    const config = parse({ REDIS_CLUSTER_NODES: 'rediss://chat:secret-pw@a:7000,b:7001' });
    expect(brokerName(config)).toBe('rediss cluster a:7000,b:7001');
  });
});
