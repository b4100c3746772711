import { createRequire } from 'node:module';
import { afterEach, expect, it } from 'vitest';
import { LEVEL, logLines } from './support/log-lines.ts';
import { type ReplicaProcess, startReplicaProcess } from './support/replica-processes.ts';

/**
 * LOG_PRETTY=1 asks for pino-pretty, which is not a dependency: where it is
 * not installed the replica still starts, logs JSON, and says once why.
 */
const prettyInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
})();

const started: ReplicaProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.service.stop()));
});

it(`LOG_PRETTY=1 ${prettyInstalled ? 'prints lines for a person' : 'without pino-pretty logs JSON and one warning'}`, async () => {
  const replica = await startReplicaProcess('node-pretty', { LOG_LEVEL: 'info', LOG_PRETTY: '1' });
  started.push(replica);
  const output = replica.service.logs;
  if (prettyInstalled) {
    expect(output).toMatch(/INFO.*listening on/);
    expect(output).not.toMatch(/^\{"level"/m);
    return;
  }
  const lines = logLines(output);
  expect(lines.filter((l) => l.level === LEVEL.warn)).toEqual([expect.objectContaining({ msg: expect.stringMatching(/pino-pretty is not installed.*logging JSON/) })]);
  expect(lines.some((l) => l.level === LEVEL.info && /^listening on/.test(l.msg))).toBe(true);
}, 120_000);

it('a LOG_PRETTY that is not 0 or 1 logs JSON and says so once', async () => {
  const replica = await startReplicaProcess('node-pretty-bad', { LOG_LEVEL: 'info', LOG_PRETTY: 'yes' });
  started.push(replica);
  const lines = logLines(replica.service.logs);
  expect(lines.filter((l) => l.level === LEVEL.warn)).toEqual([expect.objectContaining({ msg: 'LOG_PRETTY="yes" is not 0 or 1; logging JSON' })]);
}, 120_000);
