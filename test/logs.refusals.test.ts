import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmac, mint, nowSeconds } from './conformance/tokens.ts';
import { sendRawRequests, upgradeRequest } from './support/abuse-raw-requests.ts';
import { eventually } from './support/eventually.ts';
import { LEVEL, logLines } from './support/log-lines.ts';
import { type ReplicaProcess, startReplicaProcess } from './support/replica-processes.ts';
import { freePort } from './support/service-process.ts';
import { TestClient } from './support/test-client.ts';

/**
 * Issue 16, logs: every refusal is one info line with its status (or close
 * code), code, room and client address; behind a trusted proxy the address is
 * the forwarded one. No line holds a token, a query string or a message's text.
 */
const SECRET = 'logs-test-secret-of-more-than-32-bytes!';
const signer = hmac(SECRET);
const ORIGIN = 'https://chat.example.com';
/** Client-sent strings that must never reach a log. */
const SECRET_TEXT = 'the-text-of-a-message-kp3v9';
const QUERY_NAME = 'query-name-zq8w1';
const API_KEY = 'api-key-of-this-test-0123456789';

/** One refused attempt per kind, each from its own forwarded address. */
const FORWARDED = (n: number) => `203.0.113.${n}`;

let replica: ReplicaProcess;
let brokerless: ReplicaProcess;
const tokens: string[] = [];

async function token(claims: Parameters<typeof mint>[1]): Promise<string> {
  const jwt = await mint(signer, { sub: 'u1', ...claims });
  tokens.push(jwt);
  return jwt;
}

async function refusedUpgrade(url: string, headers: Record<string, string>): Promise<number> {
  return (await TestClient.refusal(url, { headers })).status;
}

beforeAll(async () => {
  [replica, brokerless] = await Promise.all([
    startReplicaProcess('node-logs', {
      LOG_LEVEL: 'info',
      AUTH_SECRET: SECRET,
      ALLOWED_ORIGINS: ORIGIN,
      TRUST_PROXY: '1',
      MAX_CONNECTIONS_PER_IP: '1',
      MAX_CONNECTIONS: '3',
      MAX_FRAME_BYTES: '1024',
      API_KEY,
    }),
    // A Redis nobody listens on: the broker is never ready, and upgrades get 503 `unavailable`.
    freePort().then((port) => startReplicaProcess('node-no-broker', { LOG_LEVEL: 'info', REDIS_URL: `redis://127.0.0.1:${port}` })),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([replica?.service.stop(), brokerless?.service.stop()]);
});

describe('refusals at LOG_LEVEL=info', () => {
  it('logs each refused request once, with status, code, room and address, and no token, query or text', async () => {
    const headers = (n: number, extra: Record<string, string> = {}) => ({ Origin: ORIGIN, 'X-Forwarded-For': `10.9.9.9, ${FORWARDED(n)}`, ...extra });
    const ok = await token({ name: 'Alice' });

    // The member refusals' room, and a message whose text must not be logged.
    const { client: alice } = await TestClient.join(replica.wsUrl('lobby', { token: ok }), { headers: headers(1) });
    await alice.say(SECRET_TEXT);

    const expected: { n: number; status: number; code: string; room?: string }[] = [];
    const expect_ = (n: number, status: number, code: string, room?: string) => expected.push({ n, status, code, room });

    expect(await refusedUpgrade(replica.wsUrl('bad%20room', { token: ok }), headers(2))).toBe(400);
    expect_(2, 400, 'bad_request');
    expect((await fetch(replica.httpUrl(`/ws/lobby?token=${ok}&name=${QUERY_NAME}`), { headers: headers(3) })).status).toBe(400);
    expect_(3, 400, 'bad_request', 'lobby');
    expect(await refusedUpgrade(replica.wsUrl('lobby', { name: QUERY_NAME }), headers(4))).toBe(401);
    expect_(4, 401, 'unauthorized', 'lobby');
    const forged = await mint(hmac(`${SECRET}-other`), { sub: 'u1' });
    tokens.push(forged);
    expect(await refusedUpgrade(replica.wsUrl('lobby', { token: forged }), headers(5))).toBe(401);
    expect_(5, 401, 'unauthorized', 'lobby');
    expect(await refusedUpgrade(replica.wsUrl('lobby', { token: ok }), headers(6, { Origin: 'https://evil.example' }))).toBe(403);
    expect_(6, 403, 'forbidden', 'lobby');
    expect(await refusedUpgrade(replica.wsUrl('lobby', { token: await token({ rooms: ['other'] }) }), headers(7))).toBe(403);
    expect_(7, 403, 'forbidden', 'lobby');
    // The cap of one member per address: alice holds 203.0.113.1's.
    expect(await refusedUpgrade(replica.wsUrl('lobby', { token: ok }), headers(1))).toBe(429);
    expect_(1, 429, 'rate_limited', 'lobby');
    expect((await fetch(replica.httpUrl(`/nope?token=${ok}`), { headers: headers(8) })).status).toBe(404);
    expect_(8, 404, 'not_found');
    expect((await fetch(replica.httpUrl(`/api/rooms/lobby/messages?token=${ok}`), { headers: headers(9, { Authorization: `Bearer ${ok}` }) })).status).toBe(401);
    // Refused by the API's key check, before its route names a room.
    expect_(9, 401, 'unauthorized');
    const api = { Authorization: `Bearer ${API_KEY}` };
    expect((await fetch(replica.httpUrl('/api/rooms/lobby/messages?limit=0'), { headers: headers(10, api) })).status).toBe(400);
    expect_(10, 400, 'bad_request', 'lobby');
    // MAX_CONNECTIONS=3: alice and two more fill this replica.
    const { client: bob } = await TestClient.join(replica.wsUrl('lobby', { token: await token({ sub: 'u2' }) }), { headers: headers(11) });
    const { client: carol } = await TestClient.join(replica.wsUrl('lobby', { token: await token({ sub: 'u3' }) }), { headers: headers(12) });
    expect(await refusedUpgrade(replica.wsUrl('lobby', { token: ok }), headers(13))).toBe(503);
    expect_(13, 503, 'overloaded', 'lobby');
    // What fetch cannot carry never reaches the app: the upgrade handler refuses it itself.
    const trace = await sendRawRequests({
      port: replica.port,
      request: upgradeRequest('TRACE', `/ws/lobby?token=${ok}`, [`X-Forwarded-For: ${FORWARDED(14)}`]),
      count: 1,
      concurrency: 1,
    });
    expect(trace).toEqual({ 400: 1 });
    expect_(14, 400, 'bad_request');
    for (const c of [alice, bob, carol]) c.close();

    // No broker, no TRUST_PROXY: the socket's address, whatever the header says.
    await eventually(async () => {
      expect((await fetch(brokerless.httpUrl('/readyz'))).status).toBe(503);
    });
    const before = logLines(brokerless.service.logs).length;
    expect(await refusedUpgrade(brokerless.wsUrl('lobby', { name: QUERY_NAME }), { 'X-Forwarded-For': FORWARDED(15) })).toBe(503);

    const refused = () => logLines(replica.service.logs).filter((l) => l.msg === 'request refused');
    await eventually(async () => expect(refused()).toHaveLength(expected.length));
    for (const { n, status, code, room } of expected) {
      const lines = refused().filter((l) => l.address === FORWARDED(n) && l.status === status);
      expect(lines, `${status} ${code} from ${FORWARDED(n)}`).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: LEVEL.info, status, code, address: FORWARDED(n) });
      expect(lines[0]!.room).toBe(room);
    }
    await eventually(async () => {
      const lines = logLines(brokerless.service.logs).slice(before).filter((l) => l.msg === 'request refused');
      expect(lines).toEqual([expect.objectContaining({ level: LEVEL.info, status: 503, code: 'unavailable', room: 'lobby', address: '127.0.0.1' })]);
    });
    // /readyz's 503s above are a probe's answers, not refusals: a probe polls through a whole outage.
    expect(logLines(brokerless.service.logs).filter((l) => l.route === '/readyz')).toEqual([]);
  });

  it('logs a member closed for cause (1008, 1009, 4001) at info with its room, member and address', async () => {
    const member = async (n: number, claims: Parameters<typeof mint>[1] = {}) =>
      (await TestClient.join(replica.wsUrl('lobby', { token: await token({ sub: `m${n}`, ...claims }) }), { headers: { Origin: ORIGIN, 'X-Forwarded-For': FORWARDED(20 + n) } })).client;

    const flooder = await member(1);
    // Bursts of pings until the frame-rate bucket (100 a second, bursts of 100) runs dry.
    while ((await flooder.closedWithin(0)) === null) {
      for (let i = 0; i < 150 && flooder.ws.readyState === flooder.ws.OPEN; i++) flooder.send({ type: 'ping' });
      await flooder.closedWithin(50);
    }
    expect((await flooder.closed).code).toBe(1008);

    const big = await member(2);
    big.send({ type: 'message', text: `${SECRET_TEXT}${'x'.repeat(2000)}` });
    expect((await big.closed).code).toBe(1009);

    const brief = await member(3, { exp: nowSeconds() + 2 });
    expect((await brief.closed).code).toBe(4001);

    const lines = () => logLines(replica.service.logs).filter((l) => l.msg === 'member refused');
    for (const [n, code] of [[1, 1008], [2, 1009], [3, 4001]] as const) {
      await eventually(async () => {
        const line = lines().find((l) => l.address === FORWARDED(20 + n));
        expect(line, `close ${code}`).toMatchObject({ level: LEVEL.info, code, room: 'lobby', member: expect.stringMatching(/^c_/) });
      });
    }
  });

  it('writes no token, query string or message text to either output', () => {
    for (const output of [replica.service.logs, brokerless.service.logs]) {
      expect(output).not.toContain(SECRET_TEXT);
      expect(output).not.toContain('bad room');
      expect(output).not.toContain(QUERY_NAME);
      expect(output).not.toContain('token=');
      expect(output).not.toContain('?');
      for (const jwt of tokens) {
        for (const part of [jwt, ...jwt.split('.').filter((p) => p.length > 8)]) expect(output).not.toContain(part);
      }
      expect(output).not.toContain(API_KEY);
    }
  });
});
