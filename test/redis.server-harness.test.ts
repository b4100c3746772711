import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RedisServer, redisAvailable } from './support/redis-server.ts';

/** The tests' own redis-server leaves nothing behind: no process, no directory, also when it fails to start. */
describe.runIf(redisAvailable())('a test redis-server', () => {
  it('removes its directory when stopped, after a restart too', async () => {
    const redis = await RedisServer.start();
    await redis.kill();
    await redis.restart();
    expect(existsSync(redis.directory)).toBe(true);
    await redis.stop();
    expect(existsSync(redis.directory)).toBe(false);
  });

  it('removes its directory when it cannot start', async () => {
    // A TMPDIR of its own, so that other files' servers are not counted.
    const own = mkdtempSync(join(tmpdir(), 'chat-harness-'));
    const was = process.env.TMPDIR;
    process.env.TMPDIR = own;
    try {
      await expect(RedisServer.start({ config: ['no-such-directive yes'] })).rejects.toThrow(/redis-server exited/);
      expect(readdirSync(own)).toEqual([]);
    } finally {
      if (was === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = was;
      rmSync(own, { recursive: true, force: true });
    }
  });
});
