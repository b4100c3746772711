import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { LEVEL, logLines } from './support/log-lines.ts';
import { type ReplicaProcess, startReplicaProcess } from './support/replica-processes.ts';

/** A connection cut for pipelining too many requests is a refusal too: one info line, with its address. */
let replica: ReplicaProcess;

beforeAll(async () => {
  replica = await startReplicaProcess('node-pipelining', { LOG_LEVEL: 'info' });
}, 120_000);

afterAll(async () => {
  await replica?.service.stop();
});

it('logs the cut of a connection that pipelines 50 requests as one line: status, code, reason, address', async () => {
  const socket = connect(replica.port, '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.pause();
  socket.write('GET /healthz?secret=do-not-log HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(50));
  await closed;

  const cuts = () => logLines(replica.service.logs).filter((l) => l.msg === 'connection cut');
  await eventually(() => expect(cuts()).toHaveLength(1));
  expect(cuts()[0]).toMatchObject({ level: LEVEL.info, status: 503, code: 'overloaded', reason: 'more than 4 requests in flight on one connection', address: '127.0.0.1' });
  expect(replica.service.logs).not.toContain('do-not-log');
  expect((await fetch(replica.httpUrl('/healthz'))).status).toBe(200);
});
