/**
 * The messages sent and not yet acked: each keeps its `ref` and is sent again
 * on every new connection until its ack comes; paced by a token bucket and
 * held back by pauses (rate_limited, unavailable).
 */
import { ChatClientError } from './chat-client-error.ts';
import type { ConnectOptions, SendOptions, WebSocketLike } from './room-types.ts';

/** Text limits as the server checks them (code points; not only white space). */
const TEXT_MAX_CHARS = 2000;
/** The pause before sending again after `rate_limited`. */
export const RATE_LIMITED_PAUSE_MS = 1000;
/** The server remembers a ref for 10 minutes: a send older than this is not sent again (it could be published twice). */
const RESEND_MAX_AGE_MS = 9 * 60_000;
const REF_MAX_CHARS = 64;

interface PendingSend {
  readonly ref: string;
  readonly text: string;
  /** When it was first sent (or queued): its age bounds a re-send. */
  readonly sentAt: number;
  /** Whether it may have reached the server already (sent once, or a ref given by the caller). */
  mayBeKnown: boolean;
  sent: boolean;
  resolve(v: { id: string; ts: number }): void;
  reject(e: unknown): void;
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

export class SendQueue {
  private readonly pending = new Map<string, PendingSend>();
  private readonly ratePerMs: number;
  private readonly burst: number;
  private tokens: number;
  private tokensAt = Date.now();
  private pausedUntil = 0;
  private pumpTimer: ReturnType<typeof setTimeout> | null = null;

  /** `socket` gives the socket to send on, or null while there is none that is live. */
  constructor(
    sendRate: ConnectOptions['sendRate'],
    private readonly socket: () => WebSocketLike | null,
  ) {
    this.ratePerMs = Math.max(0.001, sendRate?.perSecond ?? 18) / 1000;
    this.burst = Math.max(1, sendRate?.burst ?? 30);
    this.tokens = this.burst;
  }

  /** Queues `text` (checked as the server checks it); resolves on its ack. */
  add(text: string, options: SendOptions = {}): Promise<{ id: string; ts: number }> {
    if (typeof text !== 'string' || text.trim().length === 0) {
      return Promise.reject(new ChatClientError('bad_request', 'text must not be empty or only white space'));
    }
    if (codePoints(text) > TEXT_MAX_CHARS) {
      return Promise.reject(new ChatClientError('bad_request', `text must be at most ${TEXT_MAX_CHARS} characters`));
    }
    const given = options.ref;
    if (given !== undefined && (typeof given !== 'string' || codePoints(given) < 1 || codePoints(given) > REF_MAX_CHARS)) {
      return Promise.reject(new ChatClientError('bad_request', `ref must be 1–${REF_MAX_CHARS} characters`));
    }
    if (given !== undefined && this.pending.has(given)) {
      return Promise.reject(new ChatClientError('bad_request', 'a send with this ref is waiting already'));
    }
    const sentAt = typeof options.sentAt === 'number' && Number.isFinite(options.sentAt) ? options.sentAt : Date.now();
    return new Promise((resolve, reject) => {
      const ref = given ?? randomRef();
      this.pending.set(ref, { ref, text, sentAt, mayBeKnown: given !== undefined, sent: false, resolve, reject });
      this.pump();
    });
  }

  has(ref: string): boolean {
    return this.pending.has(ref);
  }

  /** Resolves the send with `ref`; false when none waits (a repeated ack). */
  acked(ref: string, id: string, ts: number): boolean {
    const p = this.pending.get(ref);
    if (!p) return false;
    this.pending.delete(ref);
    p.resolve({ id, ts });
    return true;
  }

  /** Rejects the send with `ref`, for good. */
  fail(ref: string, error: unknown): void {
    const p = this.pending.get(ref);
    if (!p) return;
    this.pending.delete(ref);
    p.reject(error);
  }

  /** Sends `ref` again, after a pause of `ms` for every send. */
  resendAfter(ref: string, ms: number): void {
    const p = this.pending.get(ref);
    if (!p) return;
    p.sent = false;
    this.pause(ms);
  }

  /** The socket is gone: every send waits to go again, with its ref. */
  unsendAll(): void {
    for (const p of this.pending.values()) p.sent = false;
  }

  rejectAll(error: unknown): void {
    if (this.pumpTimer !== null) clearTimeout(this.pumpTimer);
    this.pumpTimer = null;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /** A new connection: a full bucket, no pause. */
  resetPace(): void {
    this.tokens = this.burst;
    this.tokensAt = Date.now();
    this.pausedUntil = 0;
  }

  /** Sends every unsent message, oldest first, as the pace allows. */
  pump(): void {
    const ws = this.socket();
    if (!ws) return;
    const now = Date.now();
    if (now < this.pausedUntil) return this.schedulePump(this.pausedUntil - now);
    this.tokens = Math.min(this.burst, this.tokens + (now - this.tokensAt) * this.ratePerMs);
    this.tokensAt = now;
    for (const p of this.pending.values()) {
      if (p.sent) continue;
      if (p.mayBeKnown && now - p.sentAt > RESEND_MAX_AGE_MS) {
        // The server may have forgotten its ref: sent again, it could be published twice.
        this.pending.delete(p.ref);
        p.reject(new ChatClientError('expired', `not sent again: first sent ${Math.round((now - p.sentAt) / 1000)} s ago, and the server remembers a ref for 10 minutes`));
        continue;
      }
      if (this.tokens < 1) return this.schedulePump((1 - this.tokens) / this.ratePerMs);
      this.tokens -= 1;
      p.sent = true;
      p.mayBeKnown = true;
      ws.send(JSON.stringify({ type: 'message', text: p.text, ref: p.ref }));
    }
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
}
