import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryBus } from '../src/broker/memory.ts';
import { parseConfig } from '../src/config/config.ts';
import type { Logger } from '../src/logger.ts';
import { startReplica, type Replica } from '../src/node/replica.ts';

/**
 * On Node an upgrade reaches the app as a lazy fetch Request: its URL, method
 * and headers are its own, and anything else (its body, for a route that reads
 * one) comes from a real Request made on demand. Routes that read more than
 * the WebSocket route does must answer an upgrade as they answer plain HTTP.
 */
const API_KEY = 'an-api-key-of-some-length';
const quiet: Logger = { info() {}, warn() {}, error() {} };

let replica: Replica;
beforeAll(async () => {
  const config = { ...parseConfig({ API_KEY }, { instanceId: 'upgrade-fields' }), port: 0, host: '127.0.0.1' };
  const broker = new MemoryBroker(new MemoryBus({ historySize: config.historySize }));
  replica = await startReplica({ config, broker, presence: broker, log: quiet });
});
afterAll(async () => {
  await replica?.close();
});

/** Sends one request on a new connection and reads the whole answer: status and JSON body. */
function exchange(lines: string[]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port: replica.port, host: '127.0.0.1' });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head, body] = answer.split('\r\n\r\n');
      resolve({ status: Number(head!.split(' ')[1]), body: body ? JSON.parse(body) : undefined });
    });
    socket.write([...lines, '', ''].join('\r\n'));
  });
}

const upgradeHeaders = ['Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];

describe('an upgrade request to a route that reads more than the WebSocket route', () => {
  it('is answered 400 where the route reads its (empty) body as JSON', async () => {
    const answer = await exchange([
      'POST /api/rooms/lobby/messages HTTP/1.1',
      ...upgradeHeaders,
      `Authorization: Bearer ${API_KEY}`,
      'Content-Type: application/json',
      'Content-Length: 0',
    ]);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('bad_request');
  });

  it('is answered 401 without the key, and 200 with the page the query asks for', async () => {
    const refused = await exchange(['GET /api/rooms/lobby/messages?limit=5 HTTP/1.1', ...upgradeHeaders]);
    expect(refused.status).toBe(401);

    const page = await exchange(['GET /api/rooms/lobby/messages?limit=5 HTTP/1.1', ...upgradeHeaders, `Authorization: Bearer ${API_KEY}`]);
    expect(page.status).toBe(200);
    expect(page.body.messages).toEqual([]);
  });
});

describe('an upgrade whose path starts with //', () => {
  it('is read as that path, as plain HTTP reads it, not as a host: /ws/lobby is not reached', async () => {
    const answer = await exchange(['GET //evil.example/ws/lobby HTTP/1.1', ...upgradeHeaders]);
    expect(answer.status).toBe(404);
  });
});
