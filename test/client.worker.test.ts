import { CLIENT_SUITE_ENV, describeClientSuite } from './support/client-suite.ts';
import { startEdgeProcess } from './support/edge-process.ts';

/** The client library against the Worker and its Durable Objects in workerd (`npm run dev:edge`), over real sockets. */
describeClientSuite(
  {
    runtime: 'Cloudflare Workers (workerd)',
    async start() {
      const edge = await startEdgeProcess(CLIENT_SUITE_ENV);
      const base = `http://127.0.0.1:${edge.port}`;
      return { bases: [base, base], close: () => edge.stop() };
    },
  },
  60_000,
);
