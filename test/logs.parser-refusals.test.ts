import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { LEVEL, logLines } from './support/log-lines.ts';
import { type ReplicaProcess, startReplicaProcess } from './support/replica-processes.ts';

/**
 * Refusals no route sees (Node's HTTP parser refuses the request first) and
 * one a route answers itself (416 for a byte range) are logged like the
 * others, and answered as before.
 */
let replica: ReplicaProcess;

beforeAll(async () => {
  replica = await startReplicaProcess('node-parser', { LOG_LEVEL: 'info' });
}, 120_000);

afterAll(async () => {
  await replica?.service.stop();
});

/** Writes `request` on a fresh connection and returns what the server answered before closing. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(replica.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(request);
  });
}

const refused = (status: number) => logLines(replica.service.logs).filter((l) => l.msg === 'request refused' && l.status === status);

it('answers a malformed request line 400 and logs it once, with the parser\'s reason and the address', async () => {
  expect(await raw('GARBAGE /secret-path?token=do-not-log\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  await eventually(() => expect(refused(400)).toHaveLength(1));
  expect(refused(400)[0]).toMatchObject({ level: LEVEL.info, code: 'bad_request', reason: expect.stringMatching(/^HPE_/), address: '127.0.0.1' });
  expect(replica.service.logs).not.toContain('do-not-log');
});

it('answers headers past Node\'s limit 431 and logs it once', async () => {
  const big = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`;
  expect(await raw(big)).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  await eventually(() => expect(refused(431)).toHaveLength(1));
  expect(refused(431)[0]).toMatchObject({ level: LEVEL.info, code: 'bad_request', reason: 'HPE_HEADER_OVERFLOW', address: '127.0.0.1' });
});

it('logs a byte range no byte of the file is in (416) as a refusal', async () => {
  const res = await fetch(replica.httpUrl('/'), { headers: { Range: 'bytes=99999999-' } });
  expect(res.status).toBe(416);
  await eventually(() => expect(refused(416)).toHaveLength(1));
  expect(refused(416)[0]).toMatchObject({ level: LEVEL.info, code: 'range_not_satisfiable', address: '127.0.0.1' });
});

it('still serves after them', async () => {
  expect((await fetch(replica.httpUrl('/healthz'))).status).toBe(200);
});
