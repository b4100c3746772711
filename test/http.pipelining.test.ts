import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MemoryBroker } from '../src/broker/memory.ts';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';

/**
 * A connection that pipelines many large requests and never reads the
 * answers: Node would keep every answer in memory (a replica died of it).
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

let set: ReplicaSet;
beforeAll(async () => {
  set = await startReplicas(1);
  const feeder = new MemoryBroker(set.bus);
  for (let i = 0; i < 200; i++) await feeder.publish({ room: 'big', from: { id: 'c_feeder', name: 'feeder' }, text: '😀'.repeat(2000) });
});
afterAll(async () => {
  await set?.close();
});

it('cuts a connection that pipelines 300 history requests of 1.6 MB each and never reads, holding no answers for it', async () => {
  const before = heap();
  const socket = connect(set.replicas[0]!.port, '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.pause();
  socket.write('GET /rooms/big/history?limit=200 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(300));
  await closed;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = heap();
  const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
  console.log(`heap with 300 pipelined 1.6 MB answers unread: ${mib(before)} MiB -> ${mib(after)} MiB`);
  expect(after - before).toBeLessThan(32 * 1024 * 1024);
  const page = await fetch(set.httpUrl(0, '/rooms/big/history?limit=1'));
  expect([page.status, (await page.json()).messages.length]).toEqual([200, 1]);
}, 30_000);

it('still answers a client that sends its requests one after another on one connection', async () => {
  for (let i = 0; i < 20; i++) expect((await fetch(set.httpUrl(0, '/healthz'))).status).toBe(200);
});
