import { WebSocket } from 'ws';
import type { ChatMessage, ChatRoom, MemberInfo, RoomStatus } from '../../src/client/index.ts';
import { eventually } from './eventually.ts';

/**
 * ws's WebSocket (Node 20 has none), as a class of this test's own: it keeps
 * every socket the client opened (and its URL), so a test can count
 * reconnects, cut a connection as the network would (terminate: 1006), or
 * misbehave on purpose (flood: `floodOnWelcome` pings right after the welcome).
 */
export function trackedSockets(options: { floodOnWelcome?: number } = {}) {
  const sockets: WebSocket[] = [];
  const urls: string[] = [];
  class Tracked extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
      urls.push(url);
      const flood = options.floodOnWelcome ?? 0;
      if (flood > 0) {
        this.addEventListener('message', (ev) => {
          if (typeof ev.data === 'string' && ev.data.startsWith('{"type":"welcome"')) {
            for (let i = 0; i < flood; i++) this.send('{"type":"ping"}');
          }
        });
      }
    }
  }
  return {
    WebSocket: Tracked,
    sockets,
    urls,
    /** Cuts every open connection without a close frame, as a lost network does. */
    dropAll() {
      for (const s of sockets) if (s.readyState === WebSocket.OPEN || s.readyState === WebSocket.CONNECTING) s.terminate();
    },
  };
}

/** Everything a room told its listeners, in order. */
export function record(room: ChatRoom) {
  const seen = {
    room,
    messages: [] as ChatMessage[],
    statuses: [] as RoomStatus[],
    gaps: 0,
    members: [] as { list: MemberInfo[]; count: number }[],
    texts: () => seen.messages.map((m) => m.text),
  };
  room.on('message', (m) => seen.messages.push(m));
  room.on('status', (s) => seen.statuses.push(s));
  room.on('gap', () => seen.gaps++);
  room.on('members', (list, count) => seen.members.push({ list, count }));
  return seen;
}

export type Recorded = ReturnType<typeof record>;

/** Resolves once the room is live (again), at most `timeoutMs` from now. */
export async function live(room: ChatRoom, timeoutMs = 10_000): Promise<void> {
  await eventually(() => {
    if (room.status.state !== 'live') throw new Error(`room is ${JSON.stringify(room.status)}`);
  }, timeoutMs);
}

/** Waits until `check` passes, polling every 20 ms. */
export function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return eventually(() => {
    if (!check()) throw new Error(`waiting for ${what}`);
  }, timeoutMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
