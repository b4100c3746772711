import { describeProtocolConformance } from './conformance/protocol-suite.ts';
import { startEdgeProcess } from './support/edge-process.ts';

/**
 * The Worker and one Durable Object per room, in workerd under `wrangler dev`,
 * over real sockets: docs/protocol.md's conformance suite.
 */
describeProtocolConformance(
  {
    runtime: 'Cloudflare Workers (workerd, a Durable Object per room)',
    async start() {
      const edge = await startEdgeProcess();
      return { port: edge.port, close: () => edge.stop() };
    },
    async startWith(vars) {
      const edge = await startEdgeProcess(vars);
      return { port: edge.port, close: () => edge.stop() };
    },
    knownDifferences: {
      // test/worker/worker.handshake.test.ts shows the Worker itself answers these as Node does.
      'malformed-handshake':
        "workerd's HTTP server answers a malformed upgrade itself (400 or 426 in text/plain; a short Sec-WebSocket-Key is accepted) before the Worker sees it",
      'invalid-utf8': 'workerd decodes a text frame with U+FFFD for bad bytes instead of failing the connection, so the object never sees them',
      // test/worker/room-object.auth.test.ts shows the object closes the member with 4001 at its deadline.
      'server-close-of-a-silent-client':
        'under wrangler dev, after the object closes a socket whose client never sent a frame, the 4001 close frame arrives and is answered, but the TCP connection is not ended, so the client sees the close only at its own close timeout',
    },
    // Left out, because they cannot happen at the edge:
    // - breakBroker: the room's broker is its object; there is nothing to be unreachable.
    // - flood: workerd does not tell an object how much it has not yet sent (no
    //   bufferedAmount), so the object cannot find a slow reader; workerd buffers for it.
    // - shutdown: an object has no shutdown to announce; a deploy disconnects its sockets.
  },
  90_000,
);
