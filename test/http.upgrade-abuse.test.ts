import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryBroker, MemoryBus } from '../src/broker/memory.ts';
import { parseConfig } from '../src/config/config.ts';
import type { Logger } from '../src/logger.ts';
import { startReplica, type Replica } from '../src/node/replica.ts';
import { sendRawRequests, upgradeRequest } from './support/abuse-raw-requests.ts';
import { TestClient } from './support/test-client.ts';

/**
 * Upgrade requests the app would accept but `ws` refuses used to leave a
 * waiter in @hono/node-ws (used until issue 15) for each (a replica died of
 * its heap after 36,073); they must leave nothing behind.
 * One replica, in this process, so its heap is this heap.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const REQUESTS_OF_EACH_KIND = 20_000;
const CONCURRENCY = 50;
const HEAP_BOUND = 8 * 1024 * 1024;

const logLines: { message: string; context: object }[] = [];
const countingLog: Logger = {
  // Refusals have their own bounded lines (test/logs.flood-bound.test.ts); these tests count the rest.
  info: (context, message) => {
    if (!/ refused$/.test(message)) logLines.push({ context, message });
  },
  warn: (context, message) => logLines.push({ context, message }),
  error: (context, message) => logLines.push({ context, message }),
};

let replica: Replica;
beforeAll(async () => {
  const config = { ...parseConfig({}, { instanceId: 'abuse' }), port: 0, host: '127.0.0.1' };
  const broker = new MemoryBroker(new MemoryBus({ historySize: config.historySize }));
  replica = await startReplica({ config, broker, presence: broker, log: countingLog });
});
afterAll(async () => {
  await replica?.close();
});

const HEAD_UPGRADE = upgradeRequest('HEAD', '/ws/lobby');
const BAD_SUBPROTOCOL = upgradeRequest('GET', '/ws/lobby', ['Sec-WebSocket-Protocol: a,,b']);

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('upgrades ws would refuse', () => {
  it('are refused with 400 and leave nothing behind: heap, log and service', async () => {
    const send = (request: string, count: number) => sendRawRequests({ port: replica.port, request, count, concurrency: CONCURRENCY });
    await send(HEAD_UPGRADE, 500);
    await send(BAD_SUBPROTOCOL, 500);
    const linesBefore = logLines.length;
    const before = heapAfterGc();

    const heads = await send(HEAD_UPGRADE, REQUESTS_OF_EACH_KIND);
    const badProtocols = await send(BAD_SUBPROTOCOL, REQUESTS_OF_EACH_KIND);

    const after = heapAfterGc();
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    console.log(
      `heap after ${REQUESTS_OF_EACH_KIND} HEAD and ${REQUESTS_OF_EACH_KIND} bad-subprotocol upgrades: ` +
        `${mib(before)} MiB -> ${mib(after)} MiB (${mib(after - before)} MiB); log lines: ${logLines.length - linesBefore}`,
    );
    expect(heads).toEqual({ '400': REQUESTS_OF_EACH_KIND });
    expect(badProtocols).toEqual({ '400': REQUESTS_OF_EACH_KIND });
    expect(after - before).toBeLessThan(HEAP_BOUND);
    expect(logLines.length - linesBefore).toBeLessThanOrEqual(5);

    const url = `ws://127.0.0.1:${replica.port}/ws/lobby`;
    const { client: alice } = await TestClient.join(url);
    const { client: bob } = await TestClient.join(url);
    await alice.say('still here');
    expect((await bob.next('message')).text).toBe('still here');
    alice.close();
    bob.close();
  }, 180_000);

  it('refuses every subprotocol list ws would, with the JSON body, and takes valid ones', async () => {
    for (const protocols of ['a,,b', ',a', 'a,', 'a b', 'a,a', 'a, a', 'a;b', '']) {
      await expect(
        TestClient.connect(`ws://127.0.0.1:${replica.port}/ws/lobby`, { headers: { 'sec-websocket-protocol': protocols } }),
        protocols,
      ).rejects.toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    }
    const valid = upgradeRequest('GET', '/ws/lobby', ['Sec-WebSocket-Protocol: chat, v1.chat\t,x']);
    expect(await sendRawRequests({ port: replica.port, request: valid, count: 1, concurrency: 1, endAfterWrite: true })).toEqual({ '101': 1 });
  });
});

describe('upgrades fetch cannot express', () => {
  it('a TRACE or an unparseable URL, however long, is refused with 400 and never logged in full', async () => {
    const longPath = `/ws/${'x'.repeat(15_000)}`;
    const linesBefore = logLines.length;
    const traces = await sendRawRequests({ port: replica.port, request: upgradeRequest('TRACE', longPath), count: 2000, concurrency: CONCURRENCY });
    // An absolute-form target with a broken host: a path (`//[…`) is always a path, so it parses.
    const unparseable = await sendRawRequests({ port: replica.port, request: upgradeRequest('GET', `http://[${longPath}`), count: 2000, concurrency: CONCURRENCY });
    expect(traces).toEqual({ '400': 2000 });
    expect(unparseable).toEqual({ '400': 2000 });
    const lines = logLines.slice(linesBefore);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(JSON.stringify(lines).length).toBeLessThan(5 * 1000);
  });
});

describe('members that break the WebSocket protocol', () => {
  it('300 sockets each sending a text frame that is not UTF-8: each closed with 1007, a few log lines, nothing on the console', async () => {
    const consoleErrors = vi.spyOn(console, 'error');
    const linesBefore = logLines.length;
    try {
      const url = `ws://127.0.0.1:${replica.port}/ws/lobby`;
      for (let batch = 0; batch < 6; batch++) {
        const clients = await Promise.all(Array.from({ length: 50 }, () => TestClient.join(url)));
        for (const { client } of clients) client.ws.send(Buffer.from([0xc3, 0x28]), { binary: false });
        const codes = await Promise.all(clients.map(({ client }) => client.closed));
        expect(new Set(codes.map((c) => c.code))).toEqual(new Set([1007]));
      }
      expect(consoleErrors).not.toHaveBeenCalled();
      expect(logLines.length - linesBefore).toBeLessThanOrEqual(15);
    } finally {
      consoleErrors.mockRestore();
    }
  }, 60_000);
});
