import { connect } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upgradeRequest } from './support/abuse-raw-requests.ts';
import { type ReplicasBehindNginx, nginxAvailable, startReplicasBehindNginx } from './support/nginx.ts';
import { TestClient } from './support/test-client.ts';

/**
 * Upgrade requests with method HEAD, which the upgrader refuses, through the
 * real nginx to one replica in this process, so that its heap can be
 * measured: every one must be answered and forgotten (issue 12 saw the heap
 * grow 14 → 48 MiB for 5,000 through nginx: a waiter kept for each).
 */
const REQUESTS = 5000;
const IN_FLIGHT = 50;
const HEAP_BOUND = 8 * 1024 * 1024;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap in use after full collections, once what was freed has been swept. */
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/**
 * A HEAD request with every other header of a WebSocket upgrade, over a raw
 * socket; resolves with the status once the head is in. (sendRawRequests in
 * ./support/abuse-raw-requests.ts waits for the connection's end, which nginx
 * keeps open for the next request.)
 */
function headUpgrade(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.once('connect', () => socket.write(upgradeRequest('HEAD', path)));
    // A HEAD answer has no body: the head is all of it.
    socket.on('data', (chunk) => {
      answer += chunk;
      if (!answer.includes('\r\n\r\n')) return;
      resolve(Number(answer.split(' ')[1]));
      socket.destroy();
    });
    socket.on('error', reject);
    socket.once('close', () => reject(new Error(`closed before a whole answer: ${JSON.stringify(answer.slice(0, 200))}`)));
  });
}

/** `total` requests, `IN_FLIGHT` at a time; how many got each status. */
async function headUpgrades(port: number, total: number): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started++;
      const status = await headUpgrade(port, `/ws/lobby?name=h${started}`);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return statuses;
}

describe.runIf(nginxAvailable())(`${REQUESTS} HEAD upgrades through nginx`, () => {
  let proxied: ReplicasBehindNginx;

  beforeAll(async () => {
    proxied = await startReplicasBehindNginx(1);
  });
  afterAll(async () => {
    await proxied?.stop();
  });

  it('are refused with 400, leave the heap where it was, and the replica still admits members', async () => {
    // What the first requests allocate for good (compiled code, pools) is not a leak.
    await headUpgrades(proxied.nginx.port, 200);
    const before = await settledHeap();

    const statuses = await headUpgrades(proxied.nginx.port, REQUESTS);
    const after = await settledHeap();
    console.log(`heap ${mib(before)} → ${mib(after)} MiB after ${REQUESTS} HEAD upgrades through nginx; statuses ${JSON.stringify(statuses)}`);

    expect(after - before).toBeLessThan(HEAP_BOUND);
    expect(statuses).toEqual({ 400: REQUESTS });
    const { client } = await TestClient.join(proxied.wsUrl('/ws/lobby?name=after'));
    expect(await client.say('still admitting')).toMatchObject({ type: 'ack' });
    client.close();
  }, 120_000);
});
