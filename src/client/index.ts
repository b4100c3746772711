/**
 * chat-hub/client: one room over one WebSocket, for browsers, Deno, Workers
 * and Node 22+ (on Node 20 pass `ws`'s WebSocket as `options.WebSocket`).
 *
 * It imports nothing at run time: the frame types come from src/protocol as
 * erase-only `import type`, so the bundle is this file alone.
 *
 * What it promises:
 * - `message`: every message of the room once, in the room's order, across
 *   reconnects (it reconnects with `since` = the last id it delivered and drops
 *   anything at or before that id). Your own sends are not emitted (the server
 *   does not echo them): `send` resolves with their id and ts. That holds too
 *   for your own messages that come back in a recovery backlog.
 * - `send`: resolves once, with the one id, even when the connection dropped
 *   before the ack: every unacked message is re-sent with its original `ref`
 *   after reconnecting, and the server answers a known `ref` with the first
 *   ack. `rate_limited` is retried after a pause (1 s), `unavailable` after a
 *   backoff; any other error rejects with a ChatClientError. Sends are paced
 *   (by default 18 a second, bursts of 30) to stay under the server's limits.
 * - `members`: kept from welcome/join/leave by id (a second join for a known
 *   id changes nothing); `count` frames (big rooms) update the count only.
 *
 * Close codes and refusals (the rule):
 * - 1006 (network loss), 1012, 1013 and any other code not named below:
 *   reconnect, with exponential backoff (initialMs·2^(n−1), at most maxMs,
 *   less a random jitter of up to half).
 * - 1007, 1008, 1009: stop (state `closed`), with the server's reason.
 * - 4001 (token expired): with a token function, fetch a new token and
 *   reconnect at once; with a token string, stop with reason 'token expired'.
 * - A refused upgrade (HTTP 4xx). The standard WebSocket does not expose the
 *   status. When the implementation tells it (ws: "Unexpected server response:
 *   401"), it is used: 400/403/404 stop; 401 stops unless the token is a
 *   function, which is called again, up to 3 refusals in a row; 429 and 5xx
 *   are retried with backoff. When it does not (browsers), a socket that
 *   closes before `open` 3 times in a row makes the client ask GET /readyz:
 *   a readable 200 (the server is up and ready, so the refusal is about us)
 *   stops with reason 'refused'; anything else (503, a network error, an
 *   opaque cross-origin answer) keeps retrying.
 */
export type {
  AckFrame,
  ChatMessage,
  CountFrame,
  ErrorFrame,
  MemberInfo,
  MessageFrame,
  PresenceFrame,
  RefreshedFrame,
  ServerFrame,
  WelcomeFrame,
} from '../protocol/frames.ts';
export type { ErrorCode } from '../protocol/codes.ts';
import type * as frames from '../protocol/frames.ts';
type ChatMessage = frames.ChatMessage;
type MemberInfo = frames.MemberInfo;
type WelcomeFrame = frames.WelcomeFrame;

/**
 * What the client needs of a WebSocket: the standard one (browsers, Deno,
 * Workers, Node 22+) and `ws`'s both fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
}

export interface ConnectOptions {
  /** Display name; ignored by a server with tokens (the token names the member). */
  name?: string;
  /** A token, or a function called for every (re)connect and on 4001 (token expired). */
  token?: string | (() => Promise<string>);
  /** Default globalThis.WebSocket. On Node 20 pass `ws`'s WebSocket. */
  WebSocket?: { new (url: string): WebSocketLike };
  /** Start after this id (e.g. restored from storage): the server recovers what came after it. */
  since?: string;
  /** Reconnect delays: defaults 500 and 10000 ms, less a random jitter of up to half. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Pacing of `message` frames: defaults 18 a second, bursts of 30 (the server's defaults are 20 and 40). */
  sendRate?: { perSecond?: number; burst?: number };
  /** Sends `ping` when nothing came for this long, and reconnects when nothing answers within as long again. Default 25000; 0: off. */
  pingIntervalMs?: number;
}

export type RoomStatus =
  | { state: 'connecting' | 'reconnecting'; reason?: string; code?: number; attempt: number }
  | { state: 'live'; instance: string; recovered: boolean }
  | { state: 'closed'; reason: string; code?: number };

export interface ChatRoom {
  /** Each message once, in the room's order, across reconnects; not your own sends. */
  on(event: 'message', fn: (m: ChatMessage) => void): () => void;
  /** The members (by id, as welcome/join/leave tell) and the room's count (memberCount, or `count` frames). */
  on(event: 'members', fn: (list: MemberInfo[], count: number) => void): () => void;
  on(event: 'status', fn: (s: RoomStatus) => void): () => void;
  /** A connection that asked `since` got `recovered: false`: messages may be missing. */
  on(event: 'gap', fn: () => void): () => void;
  /** Each welcome (you, instance, members…). */
  on(event: 'welcome', fn: (w: WelcomeFrame) => void): () => void;
  /** Resolves once, on the ack, across reconnects; rejects with ChatClientError. */
  send(text: string): Promise<{ id: string; ts: number }>;
  /** Sends `refresh` (now, or once connected); resolves with the token's exp on `refreshed`, rejects on error. */
  refresh(token: string): Promise<number>;
  /** Closes for good (status `closed`, reason 'closed by client'); pending sends reject. */
  close(): void;
  readonly you: MemberInfo | null;
  readonly lastId: string | null;
  readonly status: RoomStatus;
}

/** Why a send or refresh failed: `code` is the server's error code, or 'closed'. */
export class ChatClientError extends Error {
  code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ChatClientError';
    this.code = code;
  }
}

/** Text limits as the server checks them (code points; not only white space). */
const TEXT_MAX_CHARS = 2000;
/** Refusals in a row (401 with a token function, or closes before open) before giving up. */
const REFUSALS_BEFORE_STOP = 3;
const RATE_LIMITED_PAUSE_MS = 1000;

interface PendingSend {
  readonly ref: string;
  readonly text: string;
  sent: boolean;
  resolve(v: { id: string; ts: number }): void;
  reject(e: unknown): void;
}

interface PendingRefresh {
  readonly token: string;
  sent: boolean;
  resolve(exp: number): void;
  reject(e: unknown): void;
}

type Listener = (...args: any[]) => void;

/** `ms-seq`, decimal without leading zeros; as src/protocol/message-id.ts (copied: no runtime import). */
const ID_PATTERN = /^(0|[1-9][0-9]*)-(0|[1-9][0-9]*)$/;
function parseId(text: string): [number, number] | null {
  const m = ID_PATTERN.exec(text);
  if (!m) return null;
  const ms = Number(m[1]);
  const seq = Number(m[2]);
  return Number.isSafeInteger(ms) && Number.isSafeInteger(seq) ? [ms, seq] : null;
}
function compareIds(a: [number, number], b: [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

function randomRef(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The WebSocket URL of a room: http→ws, https→wss, `/ws/<room>?name&since&token`. */
export function roomUrl(baseUrl: string, room: string, query: { name?: string; since?: string | null; token?: string }): string {
  const url = new URL(baseUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = `${path}/ws/${encodeURIComponent(room)}`;
  const parts: string[] = [];
  if (query.name !== undefined && query.name !== '') parts.push(`name=${encodeURIComponent(query.name)}`);
  if (query.since) parts.push(`since=${encodeURIComponent(query.since)}`);
  if (query.token !== undefined) parts.push(`token=${encodeURIComponent(query.token)}`);
  url.search = parts.join('&');
  url.hash = '';
  return url.toString();
}

/** The HTTP status a refused upgrade had, when the WebSocket implementation says (ws does, in its error). */
function refusedStatus(ev: unknown): number | null {
  const e = ev as { message?: unknown; error?: { message?: unknown } } | null;
  const text = typeof e?.message === 'string' ? e.message : typeof e?.error?.message === 'string' ? e.error.message : '';
  const m = /Unexpected server response: (\d{3})/.exec(text);
  return m ? Number(m[1]) : null;
}

/** Whether the error was a network failure (nothing reached), when the implementation says. */
function networkFailure(ev: unknown): boolean {
  const e = ev as { message?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  if (typeof e?.error?.code === 'string' && /^E[A-Z]+/.test(e.error.code)) return true;
  const text = typeof e?.message === 'string' ? e.message : typeof e?.error?.message === 'string' ? e.error.message : '';
  return /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|EAI_AGAIN|socket hang up/i.test(text);
}

class Room implements ChatRoom {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly Ctor: { new (url: string): WebSocketLike };
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly pingIntervalMs: number;

  private sock: WebSocketLike | null = null;
  private live = false;
  private terminal = false;
  private currentStatus: RoomStatus;
  private youNow: MemberInfo | null = null;
  private readonly ownIds = new Set<string>();
  private last: string | null;
  private lastParsed: [number, number] | null;
  private readonly members = new Map<string, MemberInfo>();
  private memberCount = 0;

  private readonly pending = new Map<string, PendingSend>();
  private readonly refreshes: PendingRefresh[] = [];
  private tokenString: string | undefined;

  /** Connection attempts since the last welcome (1 = the first). */
  private attempt = 0;
  /** Refusals in a row: closes before open, or 401s. */
  private refusals = 0;
  private unavailableStreak = 0;
  private tokens: number;
  private tokensAt = Date.now();
  private pausedUntil = 0;
  private pumpTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private pingSent = false;

  constructor(
    private readonly baseUrl: string,
    private readonly room: string,
    private readonly options: ConnectOptions,
  ) {
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: { new (url: string): WebSocketLike } }).WebSocket;
    if (!Ctor) throw new TypeError('chat-hub/client: no WebSocket here; pass one as options.WebSocket (on Node 20, the ws package)');
    this.Ctor = Ctor;
    new URL(baseUrl); // throws on a bad base URL, at once
    this.initialMs = Math.max(1, options.backoff?.initialMs ?? 500);
    this.maxMs = Math.max(this.initialMs, options.backoff?.maxMs ?? 10_000);
    this.ratePerMs = Math.max(0.001, options.sendRate?.perSecond ?? 18) / 1000;
    this.burst = Math.max(1, options.sendRate?.burst ?? 30);
    this.tokens = this.burst;
    this.pingIntervalMs = options.pingIntervalMs ?? 25_000;
    this.tokenString = typeof options.token === 'string' ? options.token : undefined;
    this.last = options.since ?? null;
    this.lastParsed = this.last === null ? null : parseId(this.last);
    this.currentStatus = { state: 'connecting', attempt: 1 };
    // Listeners attached right after connectRoom() see the first status.
    queueMicrotask(() => {
      if (this.terminal) return;
      this.emit('status', this.currentStatus);
      void this.connect();
    });
  }

  get you(): MemberInfo | null {
    return this.youNow;
  }
  get lastId(): string | null {
    return this.last;
  }
  get status(): RoomStatus {
    return this.currentStatus;
  }

  on(event: 'message', fn: (m: ChatMessage) => void): () => void;
  on(event: 'members', fn: (list: MemberInfo[], count: number) => void): () => void;
  on(event: 'status', fn: (s: RoomStatus) => void): () => void;
  on(event: 'gap', fn: () => void): () => void;
  on(event: 'welcome', fn: (w: WelcomeFrame) => void): () => void;
  on(event: string, fn: Listener): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const wrapped: Listener = (...args) => fn(...args);
    set.add(wrapped);
    return () => void set.delete(wrapped);
  }

  private emit(event: string, ...args: unknown[]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        // A listener's error must not break the connection; report it as the platform does.
        setTimeout(() => {
          throw err;
        });
      }
    }
  }

  private setStatus(s: RoomStatus): void {
    this.currentStatus = s;
    this.emit('status', s);
  }

  send(text: string): Promise<{ id: string; ts: number }> {
    if (this.terminal) return Promise.reject(new ChatClientError('closed', `room is closed: ${(this.currentStatus as { reason?: string }).reason ?? 'closed'}`));
    if (typeof text !== 'string' || text.trim().length === 0) {
      return Promise.reject(new ChatClientError('bad_request', 'text must not be empty or only white space'));
    }
    if (codePoints(text) > TEXT_MAX_CHARS) {
      return Promise.reject(new ChatClientError('bad_request', `text must be at most ${TEXT_MAX_CHARS} characters`));
    }
    return new Promise((resolve, reject) => {
      const ref = randomRef();
      this.pending.set(ref, { ref, text, sent: false, resolve, reject });
      this.pump();
    });
  }

  refresh(token: string): Promise<number> {
    if (this.terminal) return Promise.reject(new ChatClientError('closed', 'room is closed'));
    return new Promise((resolve, reject) => {
      const entry: PendingRefresh = { token, sent: false, resolve, reject };
      this.refreshes.push(entry);
      if (this.live) this.sendRefresh(entry);
    });
  }

  close(): void {
    this.stop('closed by client', undefined, 1000);
  }

  // ---- connection ----

  private async connect(): Promise<void> {
    if (this.terminal) return;
    this.retryTimer = null;
    this.attempt++;
    let token: string | undefined = this.tokenString;
    if (typeof this.options.token === 'function') {
      try {
        token = await this.options.token();
      } catch (err) {
        if (this.terminal) return;
        this.retry(`token: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (this.terminal) return;
    }
    const url = roomUrl(this.baseUrl, this.room, { name: this.options.name, since: this.last, token });
    let ws: WebSocketLike;
    try {
      ws = new this.Ctor(url);
    } catch (err) {
      this.retry(`cannot open: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.sock = ws;
    const askedSince = this.last !== null;
    let opened = false;
    let lastError: unknown = null;
    ws.onopen = () => {
      if (ws !== this.sock) return;
      opened = true;
      this.refusals = 0;
      this.lastHeard = Date.now();
    };
    ws.onerror = (ev) => {
      if (ws === this.sock) lastError = ev;
    };
    ws.onmessage = (ev) => {
      if (ws !== this.sock) return;
      this.lastHeard = Date.now();
      this.pingSent = false;
      const data = (ev as { data?: unknown }).data;
      if (typeof data !== 'string') return;
      let frame: frames.ServerFrame;
      try {
        frame = JSON.parse(data) as frames.ServerFrame;
      } catch {
        return;
      }
      if (!frame || typeof frame !== 'object') return;
      this.onFrame(frame, askedSince);
    };
    ws.onclose = (ev) => {
      if (ws !== this.sock) return;
      const code = typeof ev?.code === 'number' ? (ev.code as number) : 1006;
      const reason = typeof ev?.reason === 'string' ? (ev.reason as string) : '';
      this.detach();
      void this.onClosed(code, reason, opened, lastError);
    };
  }

  /** Forgets the current socket: its later events are ignored. */
  private detach(): WebSocketLike | null {
    const ws = this.sock;
    this.sock = null;
    this.live = false;
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    for (const p of this.pending.values()) p.sent = false;
    for (const r of this.refreshes) r.sent = false;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    }
    return ws;
  }

  private async onClosed(code: number, reason: string, opened: boolean, error: unknown): Promise<void> {
    if (this.terminal) return;
    if (code === 1007 || code === 1008 || code === 1009) {
      this.stop(reason || (code === 1008 ? 'too many frames' : code === 1009 ? 'frame too large' : 'invalid frame'), code);
      return;
    }
    if (code === 4001) {
      if (typeof this.options.token === 'function') {
        // A new token, at once: nothing is lost, `since` recovers.
        this.setStatus({ state: 'reconnecting', reason: reason || 'token expired', code, attempt: this.attempt + 1 });
        void this.connect();
      } else {
        this.stop(reason || 'token expired', code);
      }
      return;
    }
    if (!opened) {
      const status = refusedStatus(error);
      if (status !== null) {
        if (status === 401) {
          if (typeof this.options.token !== 'function') return this.stop('unauthorized (HTTP 401)', code);
          if (++this.refusals >= REFUSALS_BEFORE_STOP) return this.stop(`unauthorized (HTTP 401, ${this.refusals} times with a fresh token)`, code);
        } else if (status >= 400 && status < 500 && status !== 429 && status !== 408) {
          return this.stop(`refused (HTTP ${status})`, code);
        }
        return this.retry(`refused (HTTP ${status})`, code);
      }
      if (!networkFailure(error) && ++this.refusals >= REFUSALS_BEFORE_STOP) {
        if (await this.serverIsReady()) {
          if (this.terminal) return;
          return this.stop(`refused: the server is up but closed the connection before it opened, ${this.refusals} times`, code);
        }
        if (this.terminal) return;
      }
      return this.retry(reason || 'could not connect', code);
    }
    this.retry(reason || (code === 1006 ? 'connection lost' : `closed with ${code}`), code);
  }

  /** GET /readyz answers a readable 200: the server is up and ready. */
  private async serverIsReady(): Promise<boolean> {
    const f = (globalThis as { fetch?: typeof fetch }).fetch;
    if (!f) return false;
    try {
      const url = new URL(this.baseUrl);
      url.pathname = `${url.pathname.replace(/\/+$/, '')}/readyz`;
      url.search = '';
      const res = await f(url.toString());
      await res.body?.cancel().catch(() => {});
      return res.type !== 'opaque' && res.status === 200;
    } catch {
      return false;
    }
  }

  private backoffMs(n: number): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.max(0, Math.min(n - 1, 30)));
    return Math.round(base * (1 - Math.random() * 0.5));
  }

  private retry(reason: string, code?: number): void {
    if (this.terminal) return;
    const next = this.attempt + 1;
    this.setStatus(code === undefined ? { state: 'reconnecting', reason, attempt: next } : { state: 'reconnecting', reason, code, attempt: next });
    this.retryTimer = setTimeout(() => void this.connect(), this.backoffMs(this.attempt));
  }

  private stop(reason: string, code?: number, closeCode?: number): void {
    if (this.terminal) return;
    this.terminal = true;
    const ws = this.detach();
    if (ws && closeCode !== undefined) {
      try {
        ws.close(closeCode);
      } catch {
        // already closing
      }
    }
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.pumpTimer !== null) clearTimeout(this.pumpTimer);
    this.retryTimer = this.pumpTimer = null;
    const error = new ChatClientError('closed', `room is closed: ${reason}`);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    for (const r of this.refreshes.splice(0)) r.reject(error);
    this.setStatus(code === undefined ? { state: 'closed', reason } : { state: 'closed', reason, code });
  }

  // ---- frames ----

  private onFrame(frame: frames.ServerFrame, askedSince: boolean): void {
    switch (frame.type) {
      case 'welcome':
        return this.onWelcome(frame, askedSince);
      case 'message':
        return this.onMessage(frame);
      case 'ack':
        return this.onAck(frame);
      case 'join':
      case 'leave':
        return this.onPresence(frame);
      case 'count':
        return this.onCount(frame);
      case 'refreshed':
        return this.onRefreshed(frame);
      case 'error':
        return this.onError(frame);
      default:
        return; // pong, and anything newer
    }
  }

  private onWelcome(w: WelcomeFrame, askedSince: boolean): void {
    this.live = true;
    this.attempt = 0;
    this.refusals = 0;
    this.unavailableStreak = 0;
    this.youNow = w.you;
    this.ownIds.add(w.you.id);
    this.members.clear();
    for (const m of w.members) this.members.set(m.id, m);
    this.memberCount = typeof w.memberCount === 'number' ? w.memberCount : this.members.size;
    this.tokens = this.burst;
    this.tokensAt = Date.now();
    this.pausedUntil = 0;
    this.setStatus({ state: 'live', instance: w.instance, recovered: w.recovered });
    this.emit('welcome', w);
    this.emit('members', [...this.members.values()], this.memberCount);
    if (askedSince && !w.recovered) this.emit('gap');
    this.startPing();
    for (const r of this.refreshes) if (!r.sent) this.sendRefresh(r);
    this.pump();
  }

  private onMessage(m: frames.MessageFrame): void {
    const id = parseId(m.id);
    if (!id) return;
    if (this.lastParsed && compareIds(id, this.lastParsed) <= 0) return; // delivered already
    this.lastParsed = id;
    this.last = m.id;
    if (this.ownIds.has(m.from.id)) return; // ours, from an earlier connection: `send` told it
    this.emit('message', { id: m.id, room: m.room, from: m.from, text: m.text, ts: m.ts } satisfies ChatMessage);
  }

  private onAck(a: frames.AckFrame): void {
    if (a.ref === undefined) return;
    const p = this.pending.get(a.ref);
    if (!p) return; // a repeated ack: resolved already
    this.pending.delete(a.ref);
    this.unavailableStreak = 0;
    p.resolve({ id: a.id, ts: a.ts });
  }

  private onPresence(f: frames.PresenceFrame): void {
    const id = f.member.id;
    if (f.type === 'join') {
      if (this.members.has(id)) return;
      this.members.set(id, f.member);
      this.memberCount++;
    } else {
      if (!this.members.delete(id)) return;
      this.memberCount = Math.max(this.members.size, this.memberCount - 1);
    }
    this.emit('members', [...this.members.values()], this.memberCount);
  }

  private onCount(f: frames.CountFrame): void {
    if (f.members === this.memberCount) return;
    this.memberCount = f.members;
    this.emit('members', [...this.members.values()], this.memberCount);
  }

  private onRefreshed(f: frames.RefreshedFrame): void {
    const r = this.refreshes.findIndex((x) => x.sent);
    if (r < 0) return;
    const [entry] = this.refreshes.splice(r, 1);
    if (typeof this.options.token !== 'function') this.tokenString = entry!.token;
    entry!.resolve(f.exp);
  }

  private onError(f: frames.ErrorFrame): void {
    if (f.ref !== undefined) {
      const p = this.pending.get(f.ref);
      if (!p) return;
      if (f.code === 'rate_limited') {
        p.sent = false;
        this.pause(RATE_LIMITED_PAUSE_MS);
      } else if (f.code === 'unavailable') {
        p.sent = false;
        this.pause(this.backoffMs(++this.unavailableStreak));
      } else {
        this.pending.delete(f.ref);
        p.reject(new ChatClientError(f.code, f.message));
      }
      return;
    }
    // Without a ref: the answer to a refresh (the only frame this client sends without one, but ping).
    const r = this.refreshes.findIndex((x) => x.sent);
    if (r < 0) return;
    const [entry] = this.refreshes.splice(r, 1);
    entry!.reject(new ChatClientError(f.code, f.message));
  }

  // ---- sending ----

  private sendRefresh(entry: PendingRefresh): void {
    if (!this.sock || !this.live) return;
    entry.sent = true;
    this.sock.send(JSON.stringify({ type: 'refresh', token: entry.token }));
  }

  private pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
    this.pump();
  }

  private schedulePump(ms: number): void {
    if (this.pumpTimer !== null) clearTimeout(this.pumpTimer);
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = null;
      this.pump();
    }, Math.max(0, Math.ceil(ms)));
  }

  /** Sends every unsent message, oldest first, as the pace allows. */
  private pump(): void {
    if (!this.live || !this.sock || this.terminal) return;
    const now = Date.now();
    if (now < this.pausedUntil) return this.schedulePump(this.pausedUntil - now);
    this.tokens = Math.min(this.burst, this.tokens + (now - this.tokensAt) * this.ratePerMs);
    this.tokensAt = now;
    for (const p of this.pending.values()) {
      if (p.sent) continue;
      if (this.tokens < 1) return this.schedulePump((1 - this.tokens) / this.ratePerMs);
      this.tokens -= 1;
      p.sent = true;
      this.sock.send(JSON.stringify({ type: 'message', text: p.text, ref: p.ref }));
    }
  }

  private startPing(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.pingSent = false;
    this.lastHeard = Date.now();
    if (!(this.pingIntervalMs > 0)) return;
    const ws = this.sock;
    this.pingTimer = setInterval(() => {
      if (ws !== this.sock || !ws) return;
      if (Date.now() - this.lastHeard < this.pingIntervalMs) return;
      if (this.pingSent) {
        // Nothing came back: the connection is gone without a close. Drop it and reconnect.
        this.detach();
        try {
          ws.close(4000, 'no answer to ping');
        } catch {
          // closing already
        }
        this.retry('no answer to ping');
        return;
      }
      this.pingSent = true;
      this.lastHeard = Date.now();
      ws.send('{"type":"ping"}');
    }, Math.max(1000, Math.floor(this.pingIntervalMs / 2)));
  }
}

/**
 * Joins `room` on the server at `baseUrl` (http(s):// or ws(s)://) and keeps
 * the membership up across reconnects until close().
 */
export function connectRoom(baseUrl: string, room: string, options: ConnectOptions = {}): ChatRoom {
  return new Room(baseUrl, room, options);
}
