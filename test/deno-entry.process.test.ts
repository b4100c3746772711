import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { denoAvailable, runDenoEntry, startDenoProcess } from './support/deno-process.ts';
import { freePort } from './support/service-process.ts';
import { TestClient } from './support/test-client.ts';
import { BAD_KEY_SETTINGS } from './conformance/bad-key-settings.ts';

/** `npm run start:deno` as a real process: its start and its stop, as on Node. */
describe.runIf(denoAvailable())('the Deno entry', () => {
  it('refuses a bad variable in one line naming it, with exit code 2', async () => {
    const deno = runDenoEntry('deno-bad-variable', { PORT: '8080', RATE_LIMIT: 'fast' });
    expect((await deno.exited).code).toBe(2);
    expect(deno.logs.trim()).toBe('chat: RATE_LIMIT="fast" is not valid: expected a whole number from 0 to 10000');
    await deno.stop();
  });

  it.each(BAD_KEY_SETTINGS)('refuses $what in one line naming it, with exit code 2, never showing the secret', async ({ env, names, secret }) => {
    const deno = runDenoEntry('deno-bad-key', { PORT: '0', ...env });
    expect((await deno.exited).code).toBe(2);
    const lines = deno.logs.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^chat: .*${names}`));
    expect(deno.logs).not.toContain(secret);
    await deno.stop();
  });

  it('refuses a port in use in one line, with exit code 2', async () => {
    const port = await freePort();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const deno = runDenoEntry('deno-port-in-use', { PORT: String(port) });
      expect((await deno.exited).code).toBe(2);
      expect(deno.logs.trim()).toBe(`chat: 127.0.0.1:${port} is in use; set PORT (and HOST) to another`);
      await deno.stop();
    } finally {
      taken.close();
    }
  });

  it('closes members with 1012 on SIGTERM and exits 0', async () => {
    const { port, process: deno } = await startDenoProcess('deno-sigterm');
    const { client } = await TestClient.join(`ws://127.0.0.1:${port}/ws/lobby?name=alice`);
    deno.signal('SIGTERM');
    expect((await client.closed).code).toBe(1012);
    expect((await deno.exited).code).toBe(0);
    await deno.stop();
  });
});
