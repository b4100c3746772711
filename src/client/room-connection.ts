/**
 * One socket at a time to a room: opens it (with a fresh token and `since`),
 * reads its frames, and after a close reconnects or stops by the close rules.
 */
import type { ServerFrame } from '../protocol/frames.ts';
import { backoffMs, judgeClose, judgeProbe, probeJoin, probeReason } from './close-rules.ts';
import { checkFrame } from './frame-shape.ts';
import { Keepalive } from './keepalive.ts';
import { roomUrl } from './room-url.ts';
import type { ConnectOptions, RoomStatus, WebSocketLike } from './room-types.ts';

/** What the connection tells the room. */
export interface ConnectionHooks {
  /** The id to connect after: the last one delivered. */
  since(): string | null;
  status(s: RoomStatus): void;
  frame(frame: ServerFrame, askedSince: boolean): void;
  /** A frame that is not what docs/protocol.md says (not JSON, a wrong shape): ignored, counted. */
  badFrame(): void;
  /** The socket is gone: what was sent on it waits to go again. */
  dropped(): void;
  /** Closed for good, for `reason`: what waits is rejected. */
  stopped(reason: string): void;
}

export class RoomConnection {
  private readonly Ctor: { new (url: string): WebSocketLike };
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly keepalive: Keepalive;
  private tokenString: string | undefined;
  /** The token the last socket was opened with: the probe of a refusal asks with it. */
  private lastToken: string | undefined;

  private sock: WebSocketLike | null = null;
  private live = false;
  private terminal = false;
  /** Connection attempts since the last welcome (1 = the first). */
  private attempt = 0;
  /** Refusals in a row: closes before open, or 401s. */
  private refusals = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly baseUrl: string,
    private readonly room: string,
    private readonly options: ConnectOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: { new (url: string): WebSocketLike } }).WebSocket;
    if (!Ctor) throw new TypeError('chat-hub/client: no WebSocket here; pass one as options.WebSocket (on Node 20, the ws package)');
    this.Ctor = Ctor;
    new URL(baseUrl); // throws on a bad base URL, at once
    this.initialMs = Math.max(1, options.backoff?.initialMs ?? 500);
    this.maxMs = Math.max(this.initialMs, options.backoff?.maxMs ?? 10_000);
    this.keepalive = new Keepalive(options.pingIntervalMs ?? 25_000);
    this.tokenString = typeof options.token === 'string' ? options.token : undefined;
  }

  /** Stopped for good. */
  get closed(): boolean {
    return this.terminal;
  }

  /** The socket to send on: the current one, once welcomed. */
  liveSocket(): WebSocketLike | null {
    return this.live && !this.terminal ? this.sock : null;
  }

  /** A welcome came: live, and the attempts and refusals start again. */
  welcomed(): void {
    this.live = true;
    this.attempt = 0;
    this.refusals = 0;
  }

  startKeepalive(): void {
    // A listener of the welcome may have closed the room already: no timer may outlive it.
    if (this.closed) return;
    this.keepalive.start(this.sock, () => this.sock, (ws) => {
      // Nothing came back: the connection is gone without a close. Drop it and reconnect.
      this.detach();
      try {
        ws.close(4000, 'no answer to ping');
      } catch {
        // closing already
      }
      this.retry('no answer to ping');
    });
  }

  /** A refresh succeeded: with a token string, reconnects use the new token. */
  tokenRefreshed(token: string): void {
    if (typeof this.options.token !== 'function') this.tokenString = token;
  }

  backoffMs(n: number): number {
    return backoffMs(n, this.initialMs, this.maxMs);
  }

  async connect(): Promise<void> {
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
    this.lastToken = token;
    const since = this.hooks.since();
    const url = roomUrl(this.baseUrl, this.room, { name: this.options.name, since, token });
    let ws: WebSocketLike;
    try {
      ws = new this.Ctor(url);
    } catch (err) {
      this.retry(`cannot open: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.sock = ws;
    const askedSince = since !== null;
    let opened = false;
    let lastError: unknown = null;
    ws.onopen = () => {
      if (ws !== this.sock) return;
      opened = true;
      this.refusals = 0;
      this.keepalive.opened();
    };
    ws.onerror = (ev) => {
      if (ws === this.sock) lastError = ev;
    };
    ws.onmessage = (ev) => {
      if (ws !== this.sock) return;
      this.keepalive.heard();
      const data = (ev as { data?: unknown }).data;
      // Nothing a frame holds may throw out of the socket's handler (uncaught in Node).
      try {
        if (typeof data !== 'string') return this.hooks.badFrame();
        let parsed: unknown;
        try {
          parsed = JSON.parse(data);
        } catch {
          return this.hooks.badFrame();
        }
        const frame = checkFrame(parsed);
        if (frame === 'unknown') return; // a newer server's frame
        if (frame === null) return this.hooks.badFrame();
        this.hooks.frame(frame, askedSince);
      } catch {
        this.hooks.badFrame();
      }
    };
    ws.onclose = (ev) => {
      if (ws !== this.sock) return;
      const code = typeof ev?.code === 'number' ? (ev.code as number) : 1006;
      const reason = typeof ev?.reason === 'string' ? (ev.reason as string) : '';
      this.detach();
      void this.onClosed(code, reason, opened, lastError);
    };
  }

  /** Closes for good: status `closed`; `closeCode` closes the socket with it. */
  stop(reason: string, code?: number, closeCode?: number): void {
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
    this.retryTimer = null;
    this.hooks.stopped(reason);
    this.hooks.status(code === undefined ? { state: 'closed', reason } : { state: 'closed', reason, code });
  }

  /** Forgets the current socket: its later events are ignored. */
  private detach(): WebSocketLike | null {
    const ws = this.sock;
    this.sock = null;
    this.live = false;
    this.keepalive.stop();
    this.hooks.dropped();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    }
    return ws;
  }

  private async onClosed(code: number, reason: string, opened: boolean, error: unknown): Promise<void> {
    if (this.terminal) return;
    const tokenIsFunction = typeof this.options.token === 'function';
    const verdict = judgeClose({ code, reason, opened, error, tokenIsFunction, refusals: this.refusals });
    this.refusals = verdict.refusals;
    switch (verdict.action) {
      case 'stop':
        return this.stop(verdict.reason, code);
      case 'retry':
        return this.retry(verdict.reason, code);
      case 'renew-token':
        this.hooks.status({ state: 'reconnecting', reason: verdict.reason, code, attempt: this.attempt + 1 });
        void this.connect();
        return;
      case 'probe':
        return this.probe(verdict.otherwise, code);
    }
  }

  /**
   * Refused with no status to read: ask the history route, which runs the join
   * checks, why. 400/401/403 stop; with a token function a 401 is asked again
   * with a fresh token first; anything else (200, 429, 5xx, nothing readable)
   * retries with the capped backoff.
   */
  private async probe(otherwise: string, code: number): Promise<void> {
    const tokenIsFunction = typeof this.options.token === 'function';
    let answer = await probeJoin(this.baseUrl, this.room, this.lastToken);
    if (this.terminal) return;
    let verdict = judgeProbe(answer, tokenIsFunction, false);
    if (verdict === 'renew') {
      try {
        this.lastToken = await (this.options.token as () => Promise<string>)();
      } catch (err) {
        if (this.terminal) return;
        return this.retry(`token: ${err instanceof Error ? err.message : String(err)}`, code);
      }
      if (this.terminal) return;
      answer = await probeJoin(this.baseUrl, this.room, this.lastToken);
      if (this.terminal) return;
      verdict = judgeProbe(answer, tokenIsFunction, true);
    }
    if (verdict === 'stop' && answer) return this.stop(probeReason(answer), code);
    const why = answer && answer.status !== 200 ? `${otherwise} (HTTP ${answer.status})` : otherwise;
    return this.retry(why, code);
  }

  private retry(reason: string, code?: number): void {
    if (this.terminal) return;
    const next = this.attempt + 1;
    const retryInMs = this.backoffMs(this.attempt);
    this.hooks.status(code === undefined ? { state: 'reconnecting', reason, attempt: next, retryInMs } : { state: 'reconnecting', reason, code, attempt: next, retryInMs });
    this.retryTimer = setTimeout(() => void this.connect(), retryInMs);
  }
}
