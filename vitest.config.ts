import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-plugin';

export default defineConfig({
  test: {
    // Two cores: real servers and processes in parallel files would starve each other.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Pages and processes on two cores: a poll gets 5 s, not vitest's 1 s.
    expect: { poll: { timeout: 5000 } },
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['test/**/*.test.ts'], exclude: ['test/worker/**'], setupFiles: ['test/setup.ts'] },
      },
      {
        // Inside workerd, with the Worker and its Durable Objects from wrangler.toml.
        extends: true,
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts'],
          exclude: ['test/worker/**/*.ttl-expiry.test.ts', 'test/worker/**/*.auth.test.ts', 'test/worker/**/*.debug.test.ts'],
        },
      },
      {
        // The same, with rooms forgotten after 2 s, for alarms that workerd fires by itself.
        extends: true,
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' }, miniflare: { bindings: { ROOM_TTL: '2' } } })],
        test: { name: 'worker-ttl', include: ['test/worker/**/*.ttl-expiry.test.ts'] },
      },
      {
        // The same, with a key (AUTH_SECRET), for tokens checked by the Worker and deadlines kept by the object's alarm.
        extends: true,
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: { AUTH_SECRET: 'edge-test-secret-0123456789abcdefghij' } },
          }),
        ],
        test: { name: 'worker-auth', include: ['test/worker/**/*.auth.test.ts'] },
      },
      {
        // The same, with LOG_LEVEL=debug, for the lines a member's life writes at the edge.
        extends: true,
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' }, miniflare: { bindings: { LOG_LEVEL: 'debug' } } })],
        test: { name: 'worker-debug', include: ['test/worker/**/*.debug.test.ts'] },
      },
    ],
  },
});
