import { describeProtocolConformance } from './conformance/protocol-suite.ts';
import { denoAvailable, startDenoProcess } from './support/deno-process.ts';
import type { ServiceProcess } from './support/service-process.ts';

/** `npm run start:deno` with the in-memory broker, over real sockets: docs/protocol.md's conformance suite. */
let deno: ServiceProcess;

if (denoAvailable()) {
  describeProtocolConformance(
    {
      runtime: 'Deno (in-memory broker)',
      connectionCaps: true,
      knownDifferences: {
        'invalid-utf8': 'Deno drops the connection without a close frame (the client sees 1006) before our code sees the frame',
      },
      async start() {
        const started = await startDenoProcess('deno-1');
        deno = started.process;
        return { port: started.port, close: () => deno.stop() };
      },
      async startWith(env) {
        const other = await startDenoProcess('deno-2', env);
        return { port: other.port, close: () => other.process.stop() };
      },
      async shutdown() {
        deno.signal('SIGTERM');
        await deno.exited;
      },
      // Left out here, run in test/deno.redis.test.ts instead, where Redis is
      // outside the Deno process and can fail or be fed from the test:
      // breakBroker (a Redis outage) and flood (a slow reader, 1013).
    },
    30_000,
  );
}
