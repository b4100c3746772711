import { expect, it } from 'vitest';
import { hmac, mint, nowSeconds } from './conformance/tokens.ts';
import { startReplicaProcess } from './support/replica-processes.ts';
import { TestClient } from './support/test-client.ts';

/**
 * docs/protocol.md "What the server keeps": nothing a client sends is written to a
 * log except its room name and member id; a token least of all. A replica
 * process at LOG_LEVEL=debug meets tokens in every place one can come:
 * accepted, refused, expiring, refreshed, and on routes that fail.
 */
const SECRET = 'log-test-secret-of-more-than-32-bytes';
const signer = hmac(SECRET);

it('writes no token to its output at LOG_LEVEL=debug, whatever became of the token', async () => {
  const replica = await startReplicaProcess('node-log', { LOG_LEVEL: 'debug', AUTH_SECRET: SECRET, ALLOWED_ORIGINS: 'https://chat.example.com' });
  const tokens: string[] = [];
  const token = async (claims: Parameters<typeof mint>[1]) => {
    const jwt = await mint(signer, { sub: 'u1', ...claims });
    tokens.push(jwt);
    return jwt;
  };
  const refused = async (url: string, headers: Record<string, string> = {}) => {
    expect((await TestClient.refusal(url, { headers })).status).toBeGreaterThanOrEqual(400);
  };
  try {
    // Accepted, by query and by header; a refresh accepted and one refused; one expires on the line.
    const { client: alice } = await TestClient.join(replica.wsUrl('lobby', { token: await token({ name: 'Alice' }) }));
    const { client: bob } = await TestClient.join(replica.wsUrl('lobby'), { headers: { Authorization: `Bearer ${await token({ sub: 'u2' })}` } });
    await alice.say('hello');
    alice.send({ type: 'refresh', token: await token({}) });
    await alice.next('refreshed');
    alice.send({ type: 'refresh', token: await token({ sub: 'mallory' }) });
    await alice.next('error');
    const { client: brief } = await TestClient.join(replica.wsUrl('lobby', { token: await token({ exp: nowSeconds() + 3 }) }));
    expect((await brief.closed).code).toBe(4001);

    // Refused: a bad signature, expired, a room not granted, a bad Origin, a bad room.
    await refused(replica.wsUrl('lobby', { token: await mint(hmac(`${SECRET}-other`), { sub: 'u1' }).then((t) => (tokens.push(t), t)) }));
    await refused(replica.wsUrl('lobby', { token: await token({ exp: nowSeconds() - 5 }) }));
    await refused(replica.wsUrl('lobby', { token: await token({ rooms: [] }) }));
    await refused(replica.wsUrl('lobby', { token: await token({}) }), { Origin: 'https://evil.example' });
    await refused(replica.wsUrl('bad%20room', { token: await token({}) }));
    await refused(replica.wsUrl('lobby', { token: 'eyJub3QiOiJhIHRva2VuIn0.eyJzZWNyZXQiOiJsZWFrZWQifQ.not-a-signature' }));
    tokens.push('eyJub3QiOiJhIHRva2VuIn0.eyJzZWNyZXQiOiJsZWFrZWQifQ.not-a-signature');

    // Routes that fail, or are not WebSocket routes at all.
    for (const path of ['/nope', '/ws/lobby', '/healthz', '/metrics', '/api/rooms/lobby/messages']) {
      await fetch(replica.httpUrl(`${path}?token=${await token({})}`), { headers: { Authorization: `Bearer ${await token({})}` } });
    }
    alice.close();
    bob.close();
  } finally {
    replica.service.signal('SIGTERM');
    await replica.service.exited;
    await replica.service.stop();
  }

  const output = replica.service.logs;
  expect(output).toMatch(/listening on/);
  expect(output).toMatch(/shutting down/);
  for (const jwt of tokens) {
    // The whole token, and each of its parts (a log could cut or split it).
    for (const part of [jwt, ...jwt.split('.').filter((p) => p.length > 8)]) expect(output).not.toContain(part);
  }
});
