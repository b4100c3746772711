import { afterAll, beforeAll, expect, it } from 'vitest';
import { sendRawRequests, upgradeRequest } from './support/abuse-raw-requests.ts';
import { eventually } from './support/eventually.ts';
import { logLines } from './support/log-lines.ts';
import { type ReplicaProcess, startReplicaProcess } from './support/replica-processes.ts';

/**
 * A hostile client's refused upgrades, as many as a few seconds allow (up to
 * 20,000), make a bounded number of info lines, and every refusal is still
 * counted: the lines, plus the `suppressed` counts they carry, add up to
 * exactly the refusals sent.
 */
const TARGET = 20_000;
const BUDGET_MS = 5000;
/** log-bounds.ts: 5 lines a second of one kind, and a line a second with the count of the rest. */
const LINES_PER_SECOND = 6;
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmbG9vZCJ9.bm90LWEtc2lnbmF0dXJlLWF0LWFsbA';

let replica: ReplicaProcess;

beforeAll(async () => {
  replica = await startReplicaProcess('node-flood', { LOG_LEVEL: 'info', AUTH_SECRET: 'flood-test-secret-of-more-than-32-bytes' });
}, 120_000);

afterAll(async () => {
  await replica?.service.stop();
});

it(`bounds the lines of up to ${TARGET} refused upgrades and counts every one`, async () => {
  const request = upgradeRequest('GET', `/ws/lobby?token=${TOKEN}`);
  const started = Date.now();
  let sent = 0;
  while (sent < TARGET && Date.now() - started < BUDGET_MS) {
    const statuses = await sendRawRequests({ port: replica.port, request, count: 250, concurrency: 16 });
    expect(statuses).toEqual({ 401: 250 });
    sent += 250;
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`sent ${sent} refused upgrades in ${seconds.toFixed(1)} s`);

  const refused = () => logLines(replica.service.logs).filter((l) => l.msg === 'request refused');
  // The last second's count comes in a line of its own once that second is over.
  await eventually(async () => {
    const counted = refused().reduce((sum, l) => sum + (l.address === undefined ? 0 : 1) + (l.suppressed ?? 0), 0);
    expect(counted).toBe(sent);
  });
  const lines = refused();
  console.log(`${lines.length} lines for ${sent} refusals`);
  expect(lines.length).toBeLessThanOrEqual(LINES_PER_SECOND * (Math.ceil(seconds) + 2));
  for (const line of lines) expect(line).toMatchObject({ status: 401, code: 'unauthorized' });
  expect(replica.service.logs).not.toContain('eyJ');
});
