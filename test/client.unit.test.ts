import { describe, expect, it, vi } from 'vitest';
import { connectRoom, roomUrl, type WebSocketLike } from '../src/client/index.ts';
import { record, sleep, until } from './support/client-sockets.ts';

/** A socket the test drives: it answers as a server would, frame by frame. */
function fakeSockets() {
  const made: Fake[] = [];
  class Fake implements WebSocketLike {
    readyState = 0;
    sent: string[] = [];
    onopen: ((ev: any) => void) | null = null;
    onmessage: ((ev: any) => void) | null = null;
    onclose: ((ev: any) => void) | null = null;
    onerror: ((ev: any) => void) | null = null;
    constructor(readonly url: string) {
      made.push(this);
      queueMicrotask(() => {
        this.readyState = 1;
        this.onopen?.({});
      });
    }
    send(data: string) {
      this.sent.push(data);
    }
    close() {}
    frame(f: object) {
      this.onmessage?.({ data: JSON.stringify(f) });
    }
    drop(code = 1006, reason = '') {
      this.readyState = 3;
      this.onclose?.({ code, reason });
    }
  }
  return { WebSocket: Fake, made };
}

const alice = { id: 'c_a', name: 'alice' };
const bob = { id: 'c_b', name: 'bob' };
const welcome = (extra: object = {}) => ({ type: 'welcome', room: 'r', you: alice, instance: 'i', members: [alice], memberCount: 1, recovered: false, backlog: 0, ...extra });

describe('chat-hub/client, frame by frame', () => {
  it('builds the URL: http→ws, https→wss, a base path kept, the room and query encoded', () => {
    expect(roomUrl('http://h:8080', 'lobby', { name: 'a b' })).toBe('ws://h:8080/ws/lobby?name=a%20b');
    expect(roomUrl('https://chat.example.com/base/', 'r.1', { since: '5-0', token: 't+/=' })).toBe('wss://chat.example.com/base/ws/r.1?since=5-0&token=t%2B%2F%3D');
    expect(roomUrl('wss://x', 'r', {})).toBe('wss://x/ws/r');
  });

  it('keeps members by id (a second join changes nothing), leave removes, count frames set the count only', async () => {
    const net = fakeSockets();
    const r = record(connectRoom('http://h', 'r', { WebSocket: net.WebSocket }));
    await until(() => net.made.length === 1, 'a socket');
    const s = net.made[0]!;
    s.frame(welcome());
    s.frame({ type: 'join', member: bob });
    s.frame({ type: 'join', member: bob });
    expect(r.members.map((m) => [m.list.map((x) => x.name), m.count])).toEqual([[['alice'], 1], [['alice', 'bob'], 2]]);
    s.frame({ type: 'count', members: 1500 });
    s.frame({ type: 'leave', member: bob });
    s.frame({ type: 'leave', member: bob });
    expect(r.members.slice(2).map((m) => [m.list.map((x) => x.name), m.count])).toEqual([[['alice', 'bob'], 1500], [['alice'], 1499]]);
    r.room.close();
  });

  it('drops a message at or before the last delivered id, re-sends unacked refs after a reconnect, resolves once', async () => {
    const net = fakeSockets();
    const r = record(connectRoom('http://h', 'r', { WebSocket: net.WebSocket, backoff: { initialMs: 1, maxMs: 2 } }));
    await until(() => net.made.length === 1, 'a socket');
    const first = net.made[0]!;
    first.frame(welcome());
    const msg = (id: string, text: string) => ({ type: 'message', id, room: 'r', from: bob, text, ts: 1 });
    first.frame(msg('10-2', 'a'));
    first.frame(msg('9-7', 'older'));
    first.frame(msg('10-2', 'again'));
    first.frame(msg('10-10', 'b'));
    expect(r.texts()).toEqual(['a', 'b']);
    const sent = r.room.send('mine');
    let resolutions = 0;
    void sent.then(() => resolutions++);
    await until(() => first.sent.length === 1, 'the send');
    const { ref } = JSON.parse(first.sent[0]!);
    first.drop();
    await until(() => net.made.length === 2, 'a reconnect');
    const second = net.made[1]!;
    expect(new URL(second.url).searchParams.get('since')).toBe('10-10');
    second.frame(welcome({ recovered: true, you: { id: 'c_a2', name: 'alice' } }));
    expect(second.sent.map((f) => JSON.parse(f))).toEqual([{ type: 'message', text: 'mine', ref }]);
    second.frame({ type: 'ack', ref, id: '11-0', ts: 11 });
    second.frame({ type: 'ack', ref, id: '11-0', ts: 11 });
    expect(await sent).toEqual({ id: '11-0', ts: 11 });
    await sleep(10);
    expect(resolutions).toBe(1);
    // Its own message in a backlog (sent by the first connection) is not emitted; another's is.
    second.frame({ ...msg('11-0', 'mine'), from: alice });
    second.frame(msg('11-1', 'c'));
    expect(r.texts()).toEqual(['a', 'b', 'c']);
    expect(r.gaps).toBe(0);
    r.room.close();
  });

  it('retries a rate_limited send after a pause, rejects bad_request, and stops on a 4001 without a token function', async () => {
    const net = fakeSockets();
    const r = record(connectRoom('http://h', 'r', { WebSocket: net.WebSocket, token: 'jwt' }));
    await until(() => net.made.length === 1, 'a socket');
    const s = net.made[0]!;
    s.frame(welcome());
    const limited = r.room.send('slow');
    const bad = r.room.send('bad');
    await until(() => s.sent.length === 2, 'both sent');
    const [a, b] = s.sent.map((f) => JSON.parse(f).ref);
    s.frame({ type: 'error', code: 'rate_limited', message: 'slow down', ref: a });
    s.frame({ type: 'error', code: 'bad_request', message: 'no', ref: b });
    await expect(bad).rejects.toMatchObject({ name: 'ChatClientError', code: 'bad_request', message: 'no' });
    await sleep(500);
    expect(s.sent).toHaveLength(2);
    await until(() => s.sent.length === 3, 'the retry after 1 s', 2000);
    expect(JSON.parse(s.sent[2]!).ref).toBe(a);
    s.frame({ type: 'ack', ref: a, id: '1-0', ts: 1 });
    await expect(limited).resolves.toEqual({ id: '1-0', ts: 1 });
    s.drop(4001, 'token expired');
    expect(r.room.status).toEqual({ state: 'closed', reason: 'token expired', code: 4001 });
    await sleep(50);
    expect(net.made).toHaveLength(1);
  });
});

describe('closing from a welcome listener', () => {
  it('leaves no timer behind for a room closed while its welcome was handled', async () => {
    const { WebSocket, made } = fakeSockets();
    vi.useFakeTimers();
    try {
      const room = connectRoom('http://chat.test', 'r', { WebSocket, pingIntervalMs: 30 });
      room.on('welcome', () => room.close());
      await vi.advanceTimersByTimeAsync(0);
      made[0]!.frame(welcome());
      expect(room.status).toMatchObject({ state: 'closed' });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('frames that are JSON but not what docs/protocol.md says', () => {
  it('are ignored and counted, throw nothing, and move no id', async () => {
    const net = fakeSockets();
    const r = record(connectRoom('http://h', 'r', { WebSocket: net.WebSocket }));
    await until(() => net.made.length === 1, 'a socket');
    const s = net.made[0]!;
    s.frame({ type: 'welcome' });
    expect(r.room.status.state).toBe('connecting');
    s.frame(welcome());
    s.frame({ type: 'message', id: '5-0' });
    s.frame({ type: 'join' });
    s.frame({ type: 'message', id: '6-0', room: 'r', from: { id: 7 }, text: 'x', ts: 1 });
    s.frame({ type: 'ack', ref: 'x' });
    s.frame({ type: 'count', members: '3' });
    s.onmessage?.({ data: '[1,2]' });
    s.onmessage?.({ data: 'not json' });
    s.frame({ type: 'from-the-future' }); // a newer server's frame: not counted
    expect(r.room.ignoredFrames).toBe(8);
    expect(r.room.lastId).toBeNull();
    expect(r.members).toHaveLength(1);
    s.frame({ type: 'message', id: '5-0', room: 'r', from: bob, text: 'the real one', ts: 1 });
    expect(r.texts()).toEqual(['the real one']);
    expect(r.room.lastId).toBe('5-0');
    r.room.close();
  });
});

describe('a reconnect without `since` (nothing delivered yet)', () => {
  it('raises `gap` when the backlog is full (50), not when it is shorter, nor on the first welcome', async () => {
    const net = fakeSockets();
    const r = record(connectRoom('http://h', 'r', { WebSocket: net.WebSocket, backoff: { initialMs: 1, maxMs: 2 } }));
    await until(() => net.made.length === 1, 'a socket');
    net.made[0]!.frame(welcome({ backlog: 50 }));
    expect(r.gaps).toBe(0);
    // (a full first backlog would set lastId; here the test sends none of its messages)
    net.made[0]!.drop();
    await until(() => net.made.length === 2, 'a reconnect');
    expect(new URL(net.made[1]!.url).searchParams.get('since')).toBeNull();
    net.made[1]!.frame(welcome({ backlog: 12 }));
    expect(r.gaps).toBe(0);
    net.made[1]!.drop();
    await until(() => net.made.length === 3, 'another');
    net.made[2]!.frame(welcome({ backlog: 50 }));
    expect(r.gaps).toBe(1);
    r.room.close();
  });
});

describe('send options and limits', () => {
  it('sends a given ref as it is, and refuses a ref of 0 or 65 characters', async () => {
    const net = fakeSockets();
    const r = connectRoom('http://h', 'r', { WebSocket: net.WebSocket });
    await until(() => net.made.length === 1, 'a socket');
    const s = net.made[0]!;
    s.frame(welcome());
    const sent = r.send('again', { ref: 'page-ref-1' });
    await expect(r.send('x', { ref: '' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(r.send('x', { ref: 'r'.repeat(65) })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(r.send('x', { ref: 'page-ref-1' })).rejects.toMatchObject({ code: 'bad_request' });
    expect(s.sent.map((f) => JSON.parse(f))).toEqual([{ type: 'message', text: 'again', ref: 'page-ref-1' }]);
    s.frame({ type: 'ack', ref: 'page-ref-1', id: '3-0', ts: 3 });
    await expect(sent).resolves.toEqual({ id: '3-0', ts: 3 });
    r.close();
  });

  it('does not re-send a message first sent over 9 minutes ago (the server forgets a ref after 10): it rejects with expired', async () => {
    const net = fakeSockets();
    vi.useFakeTimers();
    try {
      const r = connectRoom('http://h', 'r', { WebSocket: net.WebSocket, backoff: { initialMs: 1, maxMs: 2 }, pingIntervalMs: 0 });
      await vi.advanceTimersByTimeAsync(0);
      net.made[0]!.frame(welcome());
      const old = r.send('sent, then the network went');
      const oldResult = old.then(
        (v) => ({ resolved: v }),
        (e) => ({ rejected: e }),
      );
      const given = r.send('an earlier room sent it', { ref: 'page-ref', sentAt: Date.now() - 9 * 60_000 - 1 });
      const givenResult = given.then(
        (v) => ({ resolved: v }),
        (e) => ({ rejected: e }),
      );
      expect(net.made[0]!.sent).toHaveLength(1); // the first; the second is too old already
      await expect(givenResult).resolves.toMatchObject({ rejected: { name: 'ChatClientError', code: 'expired' } });
      net.made[0]!.drop();
      await vi.advanceTimersByTimeAsync(10);
      expect(net.made).toHaveLength(2);
      const fresh = r.send('written while offline'); // never sent: it may go out late
      await vi.advanceTimersByTimeAsync(9 * 60_000 + 1000);
      net.made[1]!.frame(welcome({ you: { id: 'c_a2', name: 'alice' } }));
      await vi.advanceTimersByTimeAsync(0);
      await expect(oldResult).resolves.toMatchObject({ rejected: { name: 'ChatClientError', code: 'expired' } });
      expect(net.made[1]!.sent.map((f) => JSON.parse(f).text)).toEqual(['written while offline']);
      net.made[1]!.frame({ type: 'ack', ref: JSON.parse(net.made[1]!.sent[0]!).ref, id: '9-0', ts: 9 });
      await expect(fresh).resolves.toEqual({ id: '9-0', ts: 9 });
      r.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
