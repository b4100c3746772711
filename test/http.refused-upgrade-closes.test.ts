import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryBus } from '../src/broker/memory.ts';
import { parseConfig } from '../src/config/config.ts';
import type { Logger } from '../src/logger.ts';
import { startReplica, type Replica } from '../src/node/replica.ts';
import { upgradeRequest } from './support/abuse-raw-requests.ts';
import { denoAvailable, startDenoProcess } from './support/deno-process.ts';
import { TestClient } from './support/test-client.ts';

/**
 * A refused upgrade is answered and its socket closed by the server, whatever
 * the client does with its own half: a client that keeps its side open (never
 * sends FIN) must not keep a server socket, nor hold up a shutdown.
 */
const quiet: Logger = { info() {}, warn() {}, error() {} };

/** Sends `request` on a socket that keeps its own half open; resolves once the answer's end (FIN) arrived. */
function halfOpenRefusal(port: number, request: string): Promise<{ socket: Socket; status: string; closedByServer: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    // A server socket that is closed answers a byte with a reset: a byte every 200 ms shows when it closed.
    const closedByServer = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('end', () => {
      const probe = setInterval(() => (socket.destroyed ? clearInterval(probe) : socket.write('x')), 200);
      socket.once('close', () => clearInterval(probe));
      resolve({ socket, status: answer.split(' ', 2)[1] ?? 'none', closedByServer });
    });
    socket.write(request);
  });
}

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then(() => 'done' as const), new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms))]);

describe('a refused upgrade whose client keeps its half open, on Node', () => {
  let replica: Replica;
  beforeAll(async () => {
    const config = { ...parseConfig({ MAX_CONNECTIONS_PER_IP: '3' }, { instanceId: 'attack2-half-open' }), port: 0, host: '127.0.0.1' };
    const broker = new MemoryBroker(new MemoryBus({ historySize: config.historySize }));
    replica = await startReplica({ config, broker, presence: broker, log: quiet });
  });
  afterAll(async () => {
    await replica?.close();
  });

  it('has its socket closed by the server soon after the answer', async () => {
    const { socket, status, closedByServer } = await halfOpenRefusal(replica.port, upgradeRequest('HEAD', '/ws/lobby'));
    try {
      expect(status).toBe('400');
      expect(await within(closedByServer, 3000)).toBe('done');
    } finally {
      socket.destroy();
    }
  });

  it('does not hold up the shutdown, which closes a member with 1012', async () => {
    const { client } = await TestClient.join(`ws://127.0.0.1:${replica.port}/ws/lobby`);
    const { socket } = await halfOpenRefusal(replica.port, upgradeRequest('GET', '/ws/lobby', ['Sec-WebSocket-Protocol: a,,b']));
    try {
      const closing = replica.close();
      expect((await client.closed).code).toBe(1012);
      expect(await within(closing, 6000)).toBe('done');
    } finally {
      socket.destroy();
    }
  }, 15_000);
});

describe.skipIf(!denoAvailable())('a refused upgrade whose client keeps its connection open, on Deno', () => {
  it('does not hold up SIGTERM, which closes a member with 1012 and exits 0', async () => {
    const deno = await startDenoProcess('attack2-deno-half-open', { MAX_CONNECTIONS_PER_IP: '3' });
    const socket = connect({ port: deno.port, host: '127.0.0.1', allowHalfOpen: true });
    try {
      // Deno keeps an HTTP/1.1 connection alive after a refusal: the answer's head is enough here.
      const head = await new Promise<string>((resolve) => {
        let answer = '';
        socket.setEncoding('latin1');
        socket.on('error', () => undefined);
        socket.on('data', (d: string) => {
          answer += d;
          if (answer.includes('\r\n\r\n')) resolve(answer);
        });
        socket.write(upgradeRequest('HEAD', '/ws/lobby'));
      });
      expect(head.split(' ', 2)[1]).toBe('400');
      const { client } = await TestClient.join(`ws://127.0.0.1:${deno.port}/ws/lobby`);
      deno.process.signal('SIGTERM');
      expect((await client.closed).code).toBe(1012);
      expect(await within(deno.process.exited, 6000)).toBe('done');
      expect((await deno.process.exited).code).toBe(0);
    } finally {
      socket.destroy();
      await deno.process.stop();
    }
  }, 30_000);
});
