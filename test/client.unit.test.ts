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
