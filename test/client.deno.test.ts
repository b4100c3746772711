import { CLIENT_SUITE_ENV, describeClientSuite } from './support/client-suite.ts';
import { denoAvailable, startDenoProcess } from './support/deno-process.ts';

/** The client library against `npm run start:deno` (in-memory broker), over real sockets. */
if (denoAvailable()) {
  describeClientSuite({
    runtime: 'Deno (in-memory broker)',
    async start() {
      const { port, process } = await startDenoProcess('deno-client', CLIENT_SUITE_ENV);
      const base = `http://127.0.0.1:${port}`;
      return { bases: [base, base], close: () => process.stop() };
    },
  });
}
