import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connectRoom } from '../src/client/index.ts';
import { hmac, mint } from './conformance/tokens.ts';
import { browserLikeSockets } from './support/client-browser-socket.ts';
import { live, record, sleep, until, type Recorded } from './support/client-sockets.ts';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';

/** The client against an in-process replica, with a socket that hides HTTP statuses as a browser's does. */
describe('chat-hub/client without an HTTP status (browser-like sockets)', () => {
  let set: ReplicaSet | null = null;
  const clients: Recorded[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.room.close();
    await set?.close();
    set = null;
  });

  it('keeps retrying while the replica is full (503 overloaded), and gets in once a slot is free', async () => {
    set = await startReplicas(1, { maxConnections: 1 });
    const holder = new WebSocket(set.wsUrl(0, 'full', { name: 'holder' }));
    await new Promise((resolve, reject) => {
      holder.once('message', resolve);
      holder.once('error', reject);
    });
    const net = browserLikeSockets();
    const c = record(connectRoom(set.httpUrl(0, ''), 'full', { name: 'late', WebSocket: net.WebSocket, backoff: { initialMs: 20, maxMs: 100 } }));
    clients.push(c);
    await until(() => net.made.length >= 8, 'eight refused attempts');
    expect(c.room.status.state).toBe('reconnecting');
    expect(c.statuses.some((s) => s.state === 'closed')).toBe(false);

    holder.close();
    await live(c.room);
    expect(c.room.you).toMatchObject({ name: 'late' });
  }, 20_000);

  it('stops with a clear reason when the token does not grant the room (403), and when it is refused (401)', async () => {
    const secret = 'client-replica-secret-0123456789abcdefghij';
    set = await startReplicas(1, { auth: { secret } });
    const signer = hmac(secret);
    const base = set.httpUrl(0, '');

    const net = browserLikeSockets();
    const denied = record(connectRoom(base, 'granted-not', { WebSocket: net.WebSocket, token: await mint(signer, { sub: 'olga', rooms: ['elsewhere'] }), backoff: { initialMs: 10, maxMs: 50 } }));
    clients.push(denied);
    await until(() => denied.room.status.state === 'closed', 'the refusal');
    expect(denied.room.status).toMatchObject({ state: 'closed', reason: expect.stringMatching(/^refused \(HTTP 403\): forbidden/) });
    const attempts = net.made.length;
    await sleep(300);
    expect(net.made.length).toBe(attempts);

    // A token function whose tokens are all bad: asked again once, then it stops.
    let calls = 0;
    const bad = record(
      connectRoom(base, 'r', {
        WebSocket: browserLikeSockets().WebSocket,
        token: async () => {
          calls++;
          return mint(hmac('another-secret-0123456789abcdefghijklmn'), { sub: 'olga' });
        },
        backoff: { initialMs: 10, maxMs: 50 },
      }),
    );
    clients.push(bad);
    await until(() => bad.room.status.state === 'closed', 'the 401');
    expect(bad.room.status).toMatchObject({ state: 'closed', reason: expect.stringMatching(/^unauthorized \(HTTP 401\)/) });
    expect(calls).toBeGreaterThanOrEqual(4); // 3 sockets, then a fresh token for the probe
  }, 20_000);
});

describe('chat-hub/client reconnecting before it delivered anything', () => {
  let set: ReplicaSet | null = null;
  afterEach(async () => {
    await set?.close();
    set = null;
  });

  it('loses nothing silently: after 120 messages while away, it either delivers all 120 once or raises `gap`', async () => {
    set = await startReplicas(1);
    let blocked = false;
    const net = browserLikeSockets({ blocked: () => blocked });
    const quiet = record(connectRoom(set.httpUrl(0, ''), 'quiet-room', { name: 'quiet', WebSocket: net.WebSocket, backoff: { initialMs: 20, maxMs: 50 } }));
    const talker = connectRoom(set.httpUrl(0, ''), 'quiet-room', { name: 'talker', WebSocket, sendRate: { perSecond: 1000, burst: 1000 } });
    try {
      await Promise.all([live(quiet.room), live(talker)]);
      await quiet.room.send('only sends'); // an ack, no message received

      blocked = true;
      for (const s of net.made) s.terminate();
      await until(() => quiet.room.status.state === 'reconnecting', 'the cut');
      for (let i = 0; i < 120; i++) await talker.send(`m ${i}`);
      blocked = false;
      await live(quiet.room);
      await sleep(300);

      const texts = quiet.texts();
      expect(new Set(texts).size).toBe(texts.length); // nothing twice
      const all = Array.from({ length: 120 }, (_, i) => `m ${i}`);
      if (quiet.gaps === 0) expect(texts).toEqual(all);
      else expect(texts).toEqual(all.slice(70)); // the newest 50, and `gap` said so
      expect(texts.length === 120 || quiet.gaps === 1).toBe(true);
    } finally {
      quiet.room.close();
      talker.close();
    }
  }, 20_000);
});
