import { afterAll, beforeAll, describe, it } from 'vitest';
import { denoAvailable, startDenoProcess } from './support/deno-process.ts';
import type { ServiceProcess } from './support/service-process.ts';
import { LIVENESS_ENV, quietMemberStays, silentMemberIsDropped } from './support/liveness-checks.ts';

/**
 * docs/protocol.md "Liveness" on `npm run start:deno`, with short settings. Deno
 * pings only a quiet socket, at half IDLE_TIMEOUT_MS (see src/deno/main.ts).
 */
describe.skipIf(!denoAvailable())('liveness on Deno', () => {
  let deno: { port: number; process: ServiceProcess };
  beforeAll(async () => {
    deno = await startDenoProcess('deno-liveness', LIVENESS_ENV);
  }, 30_000);
  afterAll(async () => {
    await deno?.process.stop();
  });
  const url = () => `ws://127.0.0.1:${deno.port}/ws/lobby`;

  it('drops a member that stops answering pings, and the others get its leave', async () => {
    await silentMemberIsDropped(url());
  });

  it('keeps a member that answers pings though it sends no data', async () => {
    await quietMemberStays(url());
  });
});
