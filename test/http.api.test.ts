import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config/config.ts';
import { callApi, refused } from './conformance/api-suite.ts';
import { redisAvailable } from './support/redis-server.ts';
import { startRedisPair, waitReady, type RedisPair } from './support/replica-processes.ts';

/**
 * docs/protocol.md "HTTP API (v1.1)" where only Node shows it: two replica
 * processes over one Redis (members on both, a message published on one),
 * and a Redis that dies. The rows every runtime meets are in
 * test/conformance/api-suite.ts.
 */
const KEY = `node-api-key-${Math.random().toString(36).slice(2)}`;

describe('API_KEY', () => {
  it('is 16–256 printable characters without spaces; a bad one is refused without being echoed', () => {
    expect(parseConfig({}, { instanceId: 't' }).apiKey).toBeUndefined();
    expect(parseConfig({ API_KEY: ' ' }, { instanceId: 't' }).apiKey).toBeUndefined();
    expect(parseConfig({ API_KEY: 'k'.repeat(16) }, { instanceId: 't' }).apiKey).toBe('k'.repeat(16));
    expect(parseConfig({ API_KEY: '~'.repeat(256) }, { instanceId: 't' }).apiKey).toBe('~'.repeat(256));
    for (const bad of ['short-key-15chr', 'k'.repeat(257), 'with a space in it', 'tab\there-0123456789', 'non-ascii-ключ-0123456789']) {
      let thrown: unknown;
      try {
        parseConfig({ API_KEY: bad }, { instanceId: 't' });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message).toMatch(/^API_KEY is not valid/);
      expect((thrown as Error).message).not.toContain(bad);
    }
  });
});

describe.runIf(redisAvailable())('HTTP API over Redis, two replica processes', () => {
  let pair: RedisPair;
  beforeAll(async () => {
    pair = await startRedisPair({ API_KEY: KEY });
  }, 30_000);
  afterAll(async () => {
    await pair?.close();
  });
  const api = (port: number, method: string, path: string, body?: unknown) => callApi(port, method, path, { key: KEY, body });

  it('lists the members of every replica on either one, and a message published on one reaches members on both, once', async () => {
    const room = `api-members-${Math.random().toString(36).slice(2, 8)}`;
    const alice = await pair.join(pair.one, 'alice', room);
    const bob = await pair.join(pair.two, 'bob', room);
    for (const replica of [pair.one, pair.two]) {
      const { status, body } = await api(replica.port, 'GET', `/api/rooms/${room}/members`);
      expect(status).toBe(200);
      expect(body.members).toHaveLength(2);
      expect(body.members).toEqual(expect.arrayContaining([alice.welcome.you, bob.welcome.you]));
    }
    const published = await api(pair.one.port, 'POST', `/api/rooms/${room}/messages`, { text: 'to both', name: 'ops', ref: `ref-${room}` });
    expect(published.status).toBe(201);
    const expected = { type: 'message', id: published.body.id, room, from: { id: 'server', name: 'ops' }, text: 'to both', ts: published.body.ts };
    expect(await alice.client.next('message')).toEqual(expected);
    expect(await bob.client.next('message')).toEqual(expected);
    // The ref is the room's, whichever replica sees it again.
    expect(await api(pair.two.port, 'POST', `/api/rooms/${room}/messages`, { text: 'again', ref: `ref-${room}` })).toEqual({ status: 200, body: published.body });
    const ack = await bob.client.say('from bob');
    const page = await api(pair.two.port, 'GET', `/api/rooms/${room}/messages?limit=1`);
    expect(page).toEqual({ status: 200, body: { messages: [{ id: ack.id, room, from: bob.welcome.you, text: 'from bob', ts: ack.ts }], next: ack.id } });
    const older = await api(pair.one.port, 'GET', `/api/rooms/${room}/messages?before=${ack.id}`);
    const { type: _, ...messageObject } = expected;
    expect(older.body).toEqual({ messages: [messageObject], next: null });
    await alice.client.next('message', (m) => m.id === ack.id);
    expect(alice.client.received.filter((f) => f.type === 'message')).toHaveLength(2);
    bob.client.close();
    await expect.poll(async () => (await api(pair.one.port, 'GET', `/api/rooms/${room}/members`)).body.members).toEqual([alice.welcome.you]);
  });

  it('answers 503 unavailable on every route while Redis is down (the key is still checked first), and serves again once it is back', async () => {
    const room = `api-down-${Math.random().toString(36).slice(2, 8)}`;
    expect((await api(pair.one.port, 'POST', `/api/rooms/${room}/messages`, { text: 'before' })).status).toBe(201);
    await pair.redis.kill();
    await Promise.all([waitReady(pair.one, 503, 5000), waitReady(pair.two, 503, 5000)]);
    for (const replica of [pair.one, pair.two]) {
      expect(await api(replica.port, 'POST', `/api/rooms/${room}/messages`, { text: 'while down' })).toEqual(refused(503, 'unavailable'));
      expect(await api(replica.port, 'GET', `/api/rooms/${room}/messages`)).toEqual(refused(503, 'unavailable'));
      expect(await api(replica.port, 'GET', `/api/rooms/${room}/members`)).toEqual(refused(503, 'unavailable'));
      expect(await callApi(replica.port, 'GET', `/rooms/${room}/history`)).toEqual(refused(503, 'unavailable'));
      expect(await callApi(replica.port, 'GET', `/api/rooms/${room}/members`)).toEqual(refused(401, 'unauthorized'));
      expect(await api(replica.port, 'GET', `/api/rooms/${room}/messages?limit=0`)).toEqual(refused(400, 'bad_request'));
    }
    await pair.redis.restart();
    await Promise.all([waitReady(pair.one, 200, 10_000), waitReady(pair.two, 200, 10_000)]);
    // This Redis keeps nothing on disk: the room starts again empty, and serves.
    const after = await api(pair.two.port, 'POST', `/api/rooms/${room}/messages`, { text: 'after' });
    expect(after.status).toBe(201);
    const { body } = await api(pair.one.port, 'GET', `/api/rooms/${room}/messages`);
    expect(body.messages.map((m: any) => m.text)).toContain('after');
    expect(body.messages.map((m: any) => m.text)).not.toContain('while down');
  }, 30_000);
});
