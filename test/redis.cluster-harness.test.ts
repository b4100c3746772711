import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { CHAT_PASSWORD, CHAT_USER, RedisCluster, redisClusterAvailable } from './support/redis-cluster.ts';

/** The redis-server processes listening on one of `ports`, as pgrep lists them. */
function serversOn(ports: number[]): string[] {
  const listed = spawnSync('pgrep', ['-af', 'redis-server'], { encoding: 'utf8' }).stdout.split('\n');
  return listed.filter((line) => ports.some((p) => line.includes(`:${p}`)));
}

it.runIf(redisClusterAvailable())(
  'starts six nodes as three masters with a replica each, the chat ACL user on every node, and leaves nothing after stop',
  async () => {
    const cluster = await RedisCluster.start();
    const ports = cluster.ports;
    const dir = (cluster as unknown as { dir: string }).dir;
    try {
      expect(serversOn(ports)).toHaveLength(6);
      const perMaster = await cluster.slotsPerMaster();
      expect(perMaster.size).toBe(3);
      expect([...perMaster.values()].reduce((a, b) => a + b, 0)).toBe(16384);
      for (const slots of perMaster.values()) expect(slots).toBeGreaterThan(5000);

      // The chat user works on every node, replicas included: each answers it, and refuses it outside chat:*.
      for (const port of ports) {
        const chat = new Redis({ host: '127.0.0.1', port, username: CHAT_USER, password: CHAT_PASSWORD, retryStrategy: () => null });
        try {
          expect(await chat.ping()).toBe('PONG');
          await expect(chat.get('other:key')).rejects.toThrow(/NOPERM|MOVED/);
        } finally {
          chat.disconnect();
        }
      }

      // masterForKey agrees with the node that accepts the key without MOVED.
      const master = await cluster.masterForKey('chat:{lobby}:log');
      expect(await cluster.masters()).toContain(master);
      expect(await cluster.admin(master).exists('chat:{lobby}:log')).toBe(0);
    } finally {
      await cluster.stop();
    }
    expect(serversOn(ports)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  },
  60_000,
);
