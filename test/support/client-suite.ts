import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClientError, connectRoom, type ChatRoom, type ConnectOptions } from '../../src/client/index.ts';
import { hmac, mint, nowSeconds } from '../conformance/tokens.ts';
import { live, record, sleep, trackedSockets, until } from './client-sockets.ts';

/** The key every server of this suite runs with (AUTH_SECRET): every member comes with a token. */
export const CLIENT_SUITE_SECRET = 'client-suite-secret-0123456789abcdefghij';
/** The environment every server of this suite needs. */
export const CLIENT_SUITE_ENV = { AUTH_SECRET: CLIENT_SUITE_SECRET, HISTORY_SIZE: '50', RATE_LIMIT: '0' };

export interface ClientSuiteTarget {
  runtime: string;
  /** Starts the server(s) with CLIENT_SUITE_ENV; `bases` are the http:// URLs to join through (two replicas, or one server twice). */
  start(): Promise<{ bases: [string, string]; close(): Promise<void> }>;
  /** Messages that must pass a `since` for the server to have forgotten it, with HISTORY_SIZE=50 (Redis trims in whole stream nodes). */
  missedForGap?: number;
}

const signer = hmac(CLIENT_SUITE_SECRET);

/** A token function as an app would have: a fresh token for `sub` on every call, valid `seconds`. */
function tokens(sub: string, seconds = 120) {
  let calls = 0;
  const fn = async () => {
    calls++;
    return mint(signer, { sub, name: sub, exp: nowSeconds() + seconds });
  };
  return { fn, calls: () => calls };
}

/**
 * The client library against a real server: exchange, recovery without a gap,
 * a gap when `since` is gone, 4001 with a token function, and 1008.
 */
export function describeClientSuite(target: ClientSuiteTarget, timeoutMs = 30_000): void {
  describe(`chat-hub/client against ${target.runtime}`, () => {
    let bases: [string, string];
    let close: () => Promise<void>;
    const rooms: ChatRoom[] = [];
    const join = (base: string, room: string, sub: string, options: ConnectOptions = {}) => {
      const socketClass = options.WebSocket ?? trackedSockets().WebSocket;
      const r = connectRoom(base, room, { token: tokens(sub).fn, backoff: { initialMs: 100, maxMs: 1000 }, ...options, WebSocket: socketClass });
      rooms.push(r);
      return r;
    };

    beforeAll(async () => {
      ({ bases, close } = await target.start());
    }, 90_000);
    afterAll(async () => {
      for (const r of rooms) r.close();
      await close?.();
    });

    it('delivers a message sent on one connection to the other once, and resolves the send with its id', async () => {
      const alice = record(join(bases[0], 'client-hello', 'alice'));
      const bob = record(join(bases[1], 'client-hello', 'bob'));
      await Promise.all([live(alice.room), live(bob.room)]);
      await until(() => alice.members.at(-1)?.list.length === 2, 'alice to list bob');
      expect(alice.members.at(-1)!.count).toBe(2);
      expect(alice.room.you).toMatchObject({ name: 'alice', user: 'alice' });

      const sent = await alice.room.send('Hello, bob!');
      await until(() => bob.messages.length === 1, 'bob to get it');
      await sleep(300);
      expect(bob.messages).toEqual([{ id: sent.id, room: 'client-hello', from: alice.room.you, text: 'Hello, bob!', ts: sent.ts }]);
      expect(bob.room.lastId).toBe(sent.id);
      expect(alice.messages).toEqual([]); // not echoed: send told it
      await expect(alice.room.send('   ')).rejects.toMatchObject({ name: 'ChatClientError', code: 'bad_request' });

      bob.room.close();
      await until(() => alice.members.at(-1)?.list.length === 1, 'alice to see bob leave');
      expect(bob.room.status).toEqual({ state: 'closed', reason: 'closed by client' });
      await expect(bob.room.send('late')).rejects.toBeInstanceOf(ChatClientError);
    }, timeoutMs);

    it('reconnects after a lost connection with `since`, losing and doubling nothing, without a gap', async () => {
      const net = trackedSockets();
      const carol = record(join(bases[0], 'client-recover', 'carol', { WebSocket: net.WebSocket }));
      const dave = record(join(bases[1], 'client-recover', 'dave'));
      await Promise.all([live(carol.room), live(dave.room)]);
      for (let i = 0; i < 5; i++) await dave.room.send(`before ${i}`);
      await until(() => carol.messages.length === 5, 'carol to get the first five');

      net.dropAll();
      await until(() => carol.room.status.state === 'reconnecting', 'carol to notice');
      const during = Promise.all(Array.from({ length: 5 }, (_, i) => dave.room.send(`during ${i}`)));
      // carol's own sends while down: queued, sent once live again.
      const mine = carol.room.send('carol was away');
      await during;
      await live(carol.room);
      const { id } = await mine;
      await until(() => carol.messages.length === 10, 'carol to get all ten');
      await until(() => dave.messages.length === 1, 'dave to get carol');
      await sleep(300);
      expect(carol.texts()).toEqual([...[0, 1, 2, 3, 4].map((i) => `before ${i}`), ...[0, 1, 2, 3, 4].map((i) => `during ${i}`)]);
      expect(dave.messages.map((m) => [m.id, m.text])).toEqual([[id, 'carol was away']]);
      expect(carol.gaps).toBe(0);
      expect(net.urls).toHaveLength(2);
      expect(new URL(net.urls[1]!).searchParams.get('since')).toBe(carol.messages[4]!.id);
      expect(carol.statuses.filter((s) => s.state === 'live').map((s) => s.state === 'live' && s.recovered)).toEqual([false, true]);
    }, timeoutMs);

    it('raises `gap` when `since` is older than the room keeps, and not when it is kept', async () => {
      const missed = target.missedForGap ?? 120;
      const erin = join(bases[0], 'client-gap', 'erin', { sendRate: { perSecond: 80, burst: 80 } });
      await live(erin);
      const first = await erin.send('first');
      const kept: string[] = [];
      await Promise.all(Array.from({ length: missed }, (_, i) => erin.send(`after ${i}`).then(() => kept.push(`after ${i}`))));

      const lost = record(join(bases[1], 'client-gap', 'frank', { since: first.id }));
      await live(lost.room);
      await until(() => lost.messages.length === 50, 'the newest 50');
      expect(lost.gaps).toBe(1);
      expect(lost.statuses.find((s) => s.state === 'live')).toMatchObject({ recovered: false });
      expect(lost.texts()).toEqual(Array.from({ length: 50 }, (_, i) => `after ${missed - 50 + i}`));

      const recent = await erin.send('one more');
      const fine = record(join(bases[1], 'client-gap', 'grace', { since: recent.id }));
      await live(fine.room);
      await erin.send('the last');
      await until(() => fine.messages.length === 1, 'the last');
      expect(fine.texts()).toEqual(['the last']);
      expect(fine.gaps).toBe(0);
    }, timeoutMs);

    it('on 4001 with a token function, fetches a new token and reconnects with `since`, losing nothing', async () => {
      const short = tokens('heidi', 3);
      const heidi = record(join(bases[0], 'client-expiry', 'heidi', { token: short.fn }));
      const ivan = record(join(bases[1], 'client-expiry', 'ivan'));
      await Promise.all([live(heidi.room), live(ivan.room)]);
      await heidi.room.send('with the first token'); // (a member that sent nothing gets its close late under wrangler dev)
      await until(() => heidi.statuses.some((s) => s.state === 'reconnecting' && s.code === 4001), 'the 4001', 10_000);
      await ivan.room.send('while heidi renews');
      await live(heidi.room);
      await until(() => heidi.messages.length === 1, 'heidi to get it');
      expect(short.calls()).toBeGreaterThanOrEqual(2);
      expect(heidi.texts()).toEqual(['while heidi renews']);
      expect(heidi.gaps).toBe(0);
      expect(heidi.room.you).toMatchObject({ user: 'heidi' });
      heidi.room.close();

      // With a token string, 4001 is the end.
      const fixed = record(
        join(bases[0], 'client-expiry', 'judy', { token: await mint(signer, { sub: 'judy', exp: nowSeconds() + 2 }) }),
      );
      await live(fixed.room);
      await fixed.room.send('with the only token');
      await until(() => fixed.room.status.state === 'closed', 'judy to stop', 10_000);
      expect(fixed.room.status).toEqual({ state: 'closed', reason: 'token expired', code: 4001 });
    }, timeoutMs);

    it('stops on 1008 (too many frames) without reconnecting', async () => {
      const flooding = trackedSockets({ floodOnWelcome: 150 });
      const mallory = record(join(bases[0], 'client-flood', 'mallory', { WebSocket: flooding.WebSocket }));
      await until(() => mallory.room.status.state === 'closed', 'the 1008', 10_000);
      expect(mallory.room.status).toMatchObject({ state: 'closed', code: 1008 });
      await sleep(1500);
      expect(flooding.sockets).toHaveLength(1);
      expect(mallory.statuses.map((s) => s.state)).toEqual(['connecting', 'live', 'closed']);
      await expect(mallory.room.send('after')).rejects.toMatchObject({ code: 'closed' });
    }, timeoutMs);

    it('stops on a refused upgrade (403: a room the token does not grant) without a loop', async () => {
      const net = trackedSockets();
      const r = record(
        join(bases[0], 'client-refused', 'oscar', { WebSocket: net.WebSocket, token: async () => mint(signer, { sub: 'oscar', rooms: ['elsewhere'] }) }),
      );
      await until(() => r.room.status.state === 'closed', 'the refusal');
      expect(r.room.status).toMatchObject({ state: 'closed', reason: 'refused (HTTP 403)' });
      await sleep(500);
      expect(net.sockets).toHaveLength(1);
    }, timeoutMs);
  });
}
