import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { LEVEL, logLines } from './support/log-lines.ts';
import { type ReplicaProcess, startReplicaProcess } from './support/replica-processes.ts';
import { TestClient } from './support/test-client.ts';

/**
 * At LOG_LEVEL=debug a member's life is four lines: connected (with its
 * address), joined, closed (with the code and who closed), left; none of
 * them holds its name, a query or what it said.
 */
const SECRET_TEXT = 'what-alice-said-7hq2m';
const NAME = 'alice-name-v6d0';

let replica: ReplicaProcess;

beforeAll(async () => {
  replica = await startReplicaProcess('node-debug', { LOG_LEVEL: 'debug' });
}, 120_000);

afterAll(async () => {
  await replica?.service.stop();
});

it('logs connect, join, close with its code, and leave at debug', async () => {
  const { client, welcome } = await TestClient.join(replica.wsUrl('lobby', { name: NAME, since: '1-0' }));
  const id: string = welcome.you.id;
  await client.say(SECRET_TEXT);
  client.ws.close(4321, 'bye');
  expect((await client.closed).code).toBe(4321);

  const of = () => logLines(replica.service.logs).filter((l) => l.member === id);
  await eventually(async () => expect(of().map((l) => l.msg)).toEqual(['member connected', 'member joined', 'member closed', 'member left']));
  const [connected, joined, closed, left] = of();
  expect(connected).toMatchObject({ level: LEVEL.debug, room: 'lobby', address: '127.0.0.1' });
  expect(joined).toMatchObject({ level: LEVEL.debug, room: 'lobby' });
  expect(closed).toMatchObject({ level: LEVEL.debug, room: 'lobby', code: 4321, by: 'client' });
  expect(left).toMatchObject({ level: LEVEL.debug, room: 'lobby' });

  const output = replica.service.logs;
  for (const secret of [SECRET_TEXT, NAME, 'since=', '1-0']) expect(output).not.toContain(secret);
});

it('logs a close from the server with its code, once', async () => {
  const { client, welcome } = await TestClient.join(replica.wsUrl('lobby'));
  const id: string = welcome.you.id;
  client.send('x'.repeat(70_000));
  const code = (await client.closed).code;
  expect(code).toBe(1009);
  await eventually(async () => {
    const closes = logLines(replica.service.logs).filter((l) => l.member === id && l.msg === 'member closed');
    expect(closes).toEqual([expect.objectContaining({ level: LEVEL.debug, code: 1009, by: 'server' })]);
  });
  expect(logLines(replica.service.logs).filter((l) => l.member === id && l.msg === 'member refused')).toEqual([
    expect.objectContaining({ level: LEVEL.info, code: 1009, room: 'lobby', address: '127.0.0.1' }),
  ]);
});
