import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { TestClient } from '../support/test-client.ts';
import type { ConformanceDriver, ServerUnderTest } from './driver.ts';
import { rawRequest } from './raw-http.ts';
import { platformRow } from './platform-row.ts';
import { type Claims, type PublicKeyAlgorithm, type Signer, hmac, keyPair, mint, nowSeconds, unsigned } from './tokens.ts';

/**
 * docs/protocol.md v1.1 "Who may connect", over real sockets against one runtime:
 * tokens, their expiry and refresh, and the Origin allow-list. Most rows run
 * on one server with an HS256 secret, an issuer, an audience and an
 * allow-list; then one server per public-key type. Starts are few because at
 * the edge each costs seconds.
 */
export function describeTokenConformance(driver: ConformanceDriver, startTimeoutMs: number): void {
  describe('who may connect (v1.1): tokens and origins', () => {
    const SECRET = `secret-${Math.random().toString(36).slice(2)}-for-hs256-tests`;
    const ISSUER = 'https://app.example';
    const AUDIENCE = 'chat';
    const ORIGIN = 'https://chat.example.com';
    const HS256 = hmac(SECRET);
    const run = Math.random().toString(36).slice(2, 8);
    let roomCounter = 0;
    const freshRoom = (what: string) => `${what}-${run}-${++roomCounter}`;
    const clients: TestClient[] = [];

    /** What every test here connects to unless it says otherwise. */
    let keyed: ServerUnderTest;
    beforeAll(async () => {
      keyed = await driver.startWith({ AUTH_SECRET: SECRET, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, ALLOWED_ORIGINS: ` ${ORIGIN} , http://localhost:8080` });
    }, startTimeoutMs);
    afterEach(() => {
      for (const c of clients.splice(0)) c.close();
    });
    afterAll(async () => {
      await keyed?.close();
    });

    /** A token the keyed server accepts, unless `claims` say otherwise. */
    const token = (claims: Claims = {}, signer: Signer = HS256) => mint(signer, { sub: 'u1', iss: ISSUER, aud: AUDIENCE, ...claims });

    interface Attempt {
      token?: string;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      on?: ServerUnderTest;
    }
    function url(room: string, { token: jwt, query = {}, on = keyed }: Attempt): string {
      const search = new URLSearchParams({ ...query, ...(jwt === undefined ? {} : { token: jwt }) }).toString();
      return `ws://127.0.0.1:${on.port}/ws/${room}${search ? `?${search}` : ''}`;
    }
    const options = (attempt: Attempt): WebSocket.ClientOptions => ({ headers: attempt.headers ?? {} });
    async function join(room: string, attempt: Attempt) {
      const joined = await TestClient.join(url(room, attempt), options(attempt));
      clients.push(joined.client);
      return joined;
    }
    const refusal = (room: string, attempt: Attempt) => TestClient.refusal(url(room, attempt), options(attempt));
    const refused = (status: number, code: string) => ({ status, body: { error: { code, message: expect.any(String) } } });
    /** Waits until the clock has passed `ms` (epoch): a deliberate wait past an expiry. */
    const passed = async (ms: number) => {
      while (Date.now() <= ms) await new Promise((r) => setTimeout(r, ms + 1 - Date.now()));
    };

    describe('a token that is not good enough: 401 unauthorized, with the JSON body', () => {
      const later = () => nowSeconds() + 120;
      it.each<[string, () => Promise<string | undefined> | string | undefined]>([
        ['no token', () => undefined],
        ['an empty token', () => ''],
        ['a malformed token', () => 'not-a-jwt'],
        ['three parts that are not a JWT', () => 'a.b.c'],
        ['a wrong signature', () => token({}, hmac(`${SECRET}-other`))],
        ['a payload changed after signing', async () => {
          const [header, , signature] = (await token()).split('.');
          return `${header}.${Buffer.from(JSON.stringify({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, exp: later() })).toString('base64url')}.${signature}`;
        }],
        ['alg: none', () => unsigned({ sub: 'u1', iss: ISSUER, aud: AUDIENCE })],
        ['an expired token', () => token({ exp: nowSeconds() - 2 })],
        ['no exp', () => token({ exp: undefined })],
        ['nbf 2 minutes ahead', () => token({ nbf: later() })],
        ['iat 2 minutes ahead', () => token({ iat: later() })],
        ['a wrong iss', () => token({ iss: 'https://evil.example' })],
        ['no iss', () => token({ iss: undefined })],
        ['a wrong aud', () => token({ aud: 'billing' })],
        ['no sub', () => token({ sub: undefined })],
        ['a name of 33 characters', () => token({ name: 'n'.repeat(33) })],
        ['a name with a zero-width character', () => token({ name: 'a\u200Bb' })],
        ['rooms that are not a list', () => token({ rooms: 'lobby' })],
      ])('%s', async (_what, make) => {
        expect(await refusal(freshRoom('refused'), { token: await make() })).toEqual(refused(401, 'unauthorized'));
      });
    });

    describe('a room the token does not grant: 403 forbidden, with the JSON body', () => {
      it.each<[string, (room: string) => unknown]>([
        ['another room', () => ['lobby']],
        ['rooms: [] (grants none)', () => []],
        ['a prefix the room does not start with', () => [`other-${run}-*`]],
        ['a name the room only starts with', (room) => [room.slice(0, -1)]],
      ])('%s', async (_what, rooms) => {
        const room = freshRoom('grant');
        expect(await refusal(room, { token: await token({ rooms: rooms(room) }) })).toEqual(refused(403, 'forbidden'));
      });

      it('while the room itself, and a prefix followed by * that it starts with, are granted', async () => {
        const room = freshRoom('grant');
        await join(room, { token: await token({ rooms: ['lobby', room] }) });
        await join(room, { token: await token({ rooms: [`grant-${run}-*`] }) });
        await join(room, { token: await token({ rooms: ['*'] }) });
      });
    });

    it('accepts nbf and iat up to 30 s ahead of the clock, and an aud list that holds the audience', async () => {
      const room = freshRoom('skew');
      const soon = nowSeconds() + 20;
      await join(room, { token: await token({ nbf: soon }) });
      await join(room, { token: await token({ iat: soon }) });
      await join(room, { token: await token({ aud: ['billing', AUDIENCE] }) });
    });

    describe('a member with a token', () => {
      it("is the token's name and user in you, members, join, message from and leave", async () => {
        const room = freshRoom('user');
        const { client: alice, welcome: aw } = await join(room, { token: await token({ sub: 'user-alice', name: '  Alice A  ' }) });
        const ALICE = { id: aw.you.id, name: 'Alice A', user: 'user-alice' };
        expect(aw.you).toEqual(ALICE);
        expect(aw.members).toEqual([ALICE]);

        // Without a name, the member is named after its sub.
        const { client: bob, welcome: bw } = await join(room, { token: await token({ sub: 'user-bob' }) });
        const BOB = { id: bw.you.id, name: 'user-bob', user: 'user-bob' };
        expect(bw.you).toEqual(BOB);
        expect(bw.members).toEqual(expect.arrayContaining([ALICE, BOB]));
        expect(await alice.next('join')).toEqual({ type: 'join', member: BOB });

        const ack = await bob.say('hello');
        expect(await alice.next('message')).toMatchObject({ id: ack.id, from: BOB });
        bob.ws.close(1000);
        expect(await alice.next('leave')).toEqual({ type: 'leave', member: BOB });
      });

      it.each([
        ['a good one', 'mallory'],
        ['a bad one (33 characters)', 'n'.repeat(33)],
        ['a bad one (a control character)', 'a\u0001b'],
      ])('ignores the query name, %s, and takes the token\'s', async (_what, name) => {
        const { welcome } = await join(freshRoom('query-name'), { token: await token({ name: 'Alice' }), query: { name } });
        expect(welcome.you).toMatchObject({ name: 'Alice', user: 'u1' });
      });

      it('takes Authorization: Bearer (any letter case) over ?token=, and ignores an Authorization of another scheme', async () => {
        const room = freshRoom('bearer');
        const header = await token({ sub: 'from-header' });
        const query = await token({ sub: 'from-query' });
        expect((await join(room, { headers: { Authorization: `Bearer ${header}` } })).welcome.you.user).toBe('from-header');
        expect((await join(room, { headers: { Authorization: `bEARER ${header}` }, token: query })).welcome.you.user).toBe('from-header');
        expect((await join(room, { headers: { Authorization: `Basic ${header}` }, token: query })).welcome.you.user).toBe('from-query');
        // The header wins even when it is the bad one.
        expect(await refusal(room, { headers: { Authorization: 'Bearer not-a-jwt' }, token: query })).toEqual(refused(401, 'unauthorized'));
        expect(await refusal(room, { headers: { Authorization: `Bearer ${header} extra` }, token: query })).toEqual(refused(401, 'unauthorized'));
        expect(await refusal(room, { headers: { Authorization: `Basic ${header}` } })).toEqual(refused(401, 'unauthorized'));
      });
    });

    describe('expiry on a live connection', () => {
      /** How late after `exp` a close may come: timers, alarms and a busy machine. */
      const LATE_MS = 2000;
      /** A clock read in whole seconds, and timers that may fire a hair early. */
      const EARLY_MS = 50;

      const [expiry, expiryName] = platformRow(
        driver,
        'server-close-of-a-silent-client',
        'closes with 4001 token expired when the token expires; a reconnect with since and a fresh token loses nothing',
      );
      expiry(expiryName, async () => {
        const room = freshRoom('expiry');
        const { client: bob } = await join(room, { token: await token({ sub: 'bob' }) });
        const exp = nowSeconds() + 3;
        const { client: alice } = await join(room, { token: await token({ sub: 'alice', exp }) });
        await bob.say('before the expiry');
        const lastSeen = (await alice.next('message')).id;

        expect(await alice.closedWithin(exp * 1000 + LATE_MS - Date.now())).toEqual({ code: 4001, reason: 'token expired' });
        expect(alice.closedAt).toBeGreaterThanOrEqual(exp * 1000 - EARLY_MS);
        const missed = [await bob.say('while away 1'), await bob.say('while away 2')];

        const { welcome, backlog } = await join(room, { token: await token({ sub: 'alice' }), query: { since: lastSeen } });
        expect(welcome).toMatchObject({ recovered: true, backlog: 2 });
        expect(backlog.map((m) => m.id)).toEqual(missed.map((a) => a.id));
      });

      it('keeps a connection past its expiry after a refresh, answered refreshed with the new exp; the name stays', async () => {
        const room = freshRoom('refresh');
        const { client: bob } = await join(room, { token: await token({ sub: 'bob' }) });
        const exp = nowSeconds() + 3;
        const { client: alice } = await join(room, { token: await token({ sub: 'alice', name: 'Alice', exp }) });
        const newExp = nowSeconds() + 60;
        alice.send({ type: 'refresh', token: await token({ sub: 'alice', name: 'Someone Else', exp: newExp }) });
        expect(await alice.next('refreshed')).toEqual({ type: 'refreshed', exp: newExp });

        await passed(exp * 1000 + 1000);
        const ack = await alice.say('still here');
        expect(await bob.next('message')).toMatchObject({ id: ack.id, from: { name: 'Alice', user: 'alice' } });
        expect(alice.closedAt).toBeUndefined();
      });

      it('answers unauthorized to a refresh for another sub, a room it does not grant, or a bad token, and closes at the old deadline', async () => {
        const room = freshRoom('bad-refresh');
        const exp = nowSeconds() + 3;
        const { client: alice } = await join(room, { token: await token({ sub: 'alice', exp }) });
        const later = nowSeconds() + 60;
        for (const refresh of [
          await token({ sub: 'mallory', exp: later }),
          await token({ sub: 'alice', exp: later, rooms: ['elsewhere'] }),
          await token({ sub: 'alice', exp: later, rooms: [] }),
          await token({ sub: 'alice', exp: nowSeconds() - 1 }),
          await token({ sub: 'alice', exp: later }, hmac(`${SECRET}-other`)),
          'not-a-jwt',
        ]) {
          alice.send({ type: 'refresh', token: refresh });
          expect(await alice.next('*')).toEqual({ type: 'error', code: 'unauthorized', message: expect.any(String) });
        }
        expect(await alice.closedWithin(exp * 1000 + LATE_MS - Date.now())).toEqual({ code: 4001, reason: 'token expired' });
        expect(alice.closedAt).toBeGreaterThanOrEqual(exp * 1000 - EARLY_MS);
      });

      it('does not count refreshes toward the message rate: past a burst of them, messages still pass', async () => {
        const { client: alice } = await join(freshRoom('refresh-rate'), { token: await token({ sub: 'alice' }) });
        const fresh = await token({ sub: 'alice' });
        // 45 refreshes, more than the burst of 40, then 20 messages: 65 frames, under 100 a second.
        for (let i = 0; i < 45; i++) alice.send({ type: 'refresh', token: fresh });
        for (let i = 0; i < 45; i++) await alice.next('refreshed');
        for (let i = 0; i < 20; i++) alice.send({ type: 'message', text: `m${i}`, ref: `m${i}` });
        const answers = [];
        for (let i = 0; i < 20; i++) answers.push(await alice.answerTo(`m${i}`));
        expect(answers.map((a) => a.type)).toEqual(answers.map(() => 'ack'));
      });

      it.each([
        ['no token', { type: 'refresh' }],
        ['a token that is not a string', { type: 'refresh', token: 42 }],
      ])('answers a refresh with %s bad_request, and keeps the connection', async (_what, frame) => {
        const { client: alice } = await join(freshRoom('refresh-shape'), { token: await token() });
        alice.send(frame);
        expect(await alice.next('*')).toEqual({ type: 'error', code: 'bad_request', message: expect.any(String) });
        alice.send({ type: 'ping' });
        await alice.next('pong');
      });
    });

    describe('origins (ALLOWED_ORIGINS set)', () => {
      it.each([
        ['a listed Origin', ORIGIN],
        ['a listed Origin in other letter case', 'HTTPS://Chat.Example.COM'],
        ['a listed Origin with its default port written', `${ORIGIN}:443`],
        ['another listed Origin, with its port', 'http://localhost:8080'],
      ])('accepts %s', async (_what, origin) => {
        const { welcome } = await join(freshRoom('origin'), { token: await token(), headers: { Origin: origin } });
        expect(welcome.type).toBe('welcome');
      });

      it('accepts an upgrade without Origin (not a browser)', async () => {
        await join(freshRoom('origin'), { token: await token() });
      });

      it.each([
        ['an unlisted Origin', 'https://evil.example.com'],
        ['a listed host on another scheme', 'http://chat.example.com'],
        ['a listed host on another port', `${ORIGIN}:8443`],
        ['the Origin null', 'null'],
      ])('refuses %s with 403 forbidden, even with a good token', async (_what, origin) => {
        expect(await refusal(freshRoom('origin'), { token: await token(), headers: { Origin: origin } })).toEqual(refused(403, 'forbidden'));
      });
    });

    describe("refusals come in docs/protocol.md's order: 400, 403 origin, 401 token, 403 room grant, 429, 503", () => {
      const evil = { Origin: 'https://evil.example.com' };
      it('a bad room with no token and a bad Origin: 400', async () => {
        expect(await refusal('bad%20room', { headers: evil })).toEqual(refused(400, 'bad_request'));
      });

      it('not a WebSocket upgrade, with no token and a bad Origin: 400', async () => {
        const res = await rawRequest(keyed.port, 'GET', `/ws/${freshRoom('order')}`, evil);
        expect([res.status, JSON.parse(res.body).error.code]).toEqual([400, 'bad_request']);
      });

      it('a bad Origin with no token: 403', async () => {
        expect(await refusal(freshRoom('order'), { headers: evil })).toEqual(refused(403, 'forbidden'));
      });

      it('an expired token for a room it does not grant: 401', async () => {
        const jwt = await token({ exp: nowSeconds() - 2, rooms: [] });
        expect(await refusal(freshRoom('order'), { token: jwt })).toEqual(refused(401, 'unauthorized'));
      });

      if (driver.connectionCaps) {
        describe('on a full server of its own (MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP of 1)', () => {
          let full: ServerUnderTest;
          beforeAll(async () => {
            full = await driver.startWith({ AUTH_SECRET: SECRET, MAX_CONNECTIONS: '1', MAX_CONNECTIONS_PER_IP: '1' });
          }, startTimeoutMs);
          afterAll(async () => {
            await full?.close();
          });

          it('no token or a bad one is 401 and a room not granted 403, not 429 or 503; a good token is 429', async () => {
            const room = freshRoom('full');
            const good = await mint(HS256, { sub: 'u1' });
            await join(room, { token: good, on: full });
            expect(await refusal(room, { on: full })).toEqual(refused(401, 'unauthorized'));
            expect(await refusal(room, { token: 'not-a-jwt', on: full })).toEqual(refused(401, 'unauthorized'));
            expect(await refusal(room, { token: await mint(HS256, { sub: 'u1', rooms: [] }), on: full })).toEqual(refused(403, 'forbidden'));
            expect(await refusal(room, { token: good, on: full })).toEqual(refused(429, 'rate_limited'));
          });
        });
      }
    });

    describe('a server with a public key accepts tokens of its own key only', () => {
      const servers = new Map<PublicKeyAlgorithm, { server: ServerUnderTest; publicPem: string; signer: Signer }>();
      const ALGORITHMS: PublicKeyAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];
      beforeAll(async () => {
        for (const alg of ALGORITHMS) {
          const { publicPem, signer } = await keyPair(alg);
          servers.set(alg, { server: await driver.startWith({ AUTH_PUBLIC_KEY: publicPem }), publicPem, signer });
        }
      }, startTimeoutMs * ALGORITHMS.length);
      afterAll(async () => {
        await Promise.all([...servers.values()].map(({ server }) => server.close()));
      });

      it.each(ALGORITHMS)('%s: its own token joins; HS256 (also with its PEM as the secret), another key type and alg: none are 401', async (alg) => {
        const { server, publicPem, signer } = servers.get(alg)!;
        const room = freshRoom(alg.toLowerCase());
        const { welcome } = await join(room, { token: await mint(signer, { sub: `user-${alg}`, name: alg }), on: server });
        expect(welcome.you).toMatchObject({ name: alg, user: `user-${alg}` });

        const other = ALGORITHMS.find((a) => a !== alg)!;
        for (const jwt of [
          await mint(HS256, { sub: 'u1' }),
          await mint(hmac(publicPem), { sub: 'u1' }),
          await mint(hmac(publicPem.trim()), { sub: 'u1' }),
          await mint(servers.get(other)!.signer, { sub: 'u1' }),
          await mint((await keyPair(alg)).signer, { sub: 'u1' }),
          unsigned({ sub: 'u1' }),
        ]) {
          expect(await refusal(room, { token: jwt, on: server })).toEqual(refused(401, 'unauthorized'));
        }
      });
    });
  });
}
