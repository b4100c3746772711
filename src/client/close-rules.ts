/**
 * The close-code rule (see index.ts): what a closed or refused connection
 * means, stop or reconnect, and the backoff between reconnects.
 */

/** Refusals in a row (401 with a token function, or closes before open) before giving up. */
export const REFUSALS_BEFORE_STOP = 3;

/** The HTTP status a refused upgrade had, when the WebSocket implementation says (ws does, in its error). */
export function refusedStatus(ev: unknown): number | null {
  const e = ev as { message?: unknown; error?: { message?: unknown } } | null;
  const text = typeof e?.message === 'string' ? e.message : typeof e?.error?.message === 'string' ? e.error.message : '';
  const m = /Unexpected server response: (\d{3})/.exec(text);
  return m ? Number(m[1]) : null;
}

/** Whether the error was a network failure (nothing reached), when the implementation says. */
export function networkFailure(ev: unknown): boolean {
  const e = ev as { message?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  if (typeof e?.error?.code === 'string' && /^E[A-Z]+/.test(e.error.code)) return true;
  const text = typeof e?.message === 'string' ? e.message : typeof e?.error?.message === 'string' ? e.error.message : '';
  return /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|EAI_AGAIN|socket hang up/i.test(text);
}

export interface ClosedSocket {
  code: number;
  reason: string;
  /** Whether it opened before it closed. */
  opened: boolean;
  /** Its last error event. */
  error: unknown;
  /** Whether the token is a function, which gives a fresh token for each connect. */
  tokenIsFunction: boolean;
  /** Refusals in a row before this close. */
  refusals: number;
}

export type CloseVerdict = { reason: string; refusals: number } & (
  | { action: 'stop' | 'retry' }
  /** 4001 with a token function: a new token, at once (nothing is lost, `since` recovers). */
  | { action: 'renew-token' }
  /** Refused as often as allowed, no status said: stop if GET /readyz says the server is ready, else retry with `otherwise`. */
  | { action: 'stop-if-ready'; otherwise: string }
);

/** What to do after a close; `refusals` is the new count of refusals in a row. */
export function judgeClose(closed: ClosedSocket): CloseVerdict {
  const { code, reason, opened, error, tokenIsFunction } = closed;
  let refusals = closed.refusals;
  const stop = (why: string): CloseVerdict => ({ action: 'stop', reason: why, refusals });
  const retry = (why: string): CloseVerdict => ({ action: 'retry', reason: why, refusals });
  if (code === 1007 || code === 1008 || code === 1009) {
    return stop(reason || (code === 1008 ? 'too many frames' : code === 1009 ? 'frame too large' : 'invalid frame'));
  }
  if (code === 4001) {
    return tokenIsFunction ? { action: 'renew-token', reason: reason || 'token expired', refusals } : stop(reason || 'token expired');
  }
  if (!opened) {
    const status = refusedStatus(error);
    if (status !== null) {
      if (status === 401) {
        if (!tokenIsFunction) return stop('unauthorized (HTTP 401)');
        if (++refusals >= REFUSALS_BEFORE_STOP) return stop(`unauthorized (HTTP 401, ${refusals} times with a fresh token)`);
      } else if (status >= 400 && status < 500 && status !== 429 && status !== 408) {
        return stop(`refused (HTTP ${status})`);
      }
      return retry(`refused (HTTP ${status})`);
    }
    const otherwise = reason || 'could not connect';
    if (!networkFailure(error) && ++refusals >= REFUSALS_BEFORE_STOP) {
      const why = `refused: the server is up but closed the connection before it opened, ${refusals} times`;
      return { action: 'stop-if-ready', reason: why, otherwise, refusals };
    }
    return retry(otherwise);
  }
  return retry(reason || (code === 1006 ? 'connection lost' : `closed with ${code}`));
}

/** GET /readyz answers a readable 200: the server is up and ready. */
export async function serverIsReady(baseUrl: string): Promise<boolean> {
  const f = (globalThis as { fetch?: typeof fetch }).fetch;
  if (!f) return false;
  try {
    const url = new URL(baseUrl);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/readyz`;
    url.search = '';
    const res = await f(url.toString());
    await res.body?.cancel().catch(() => {});
    return res.type !== 'opaque' && res.status === 200;
  } catch {
    return false;
  }
}

/** The delay before reconnect `n` (1 = the first): initialMs·2^(n−1), at most maxMs, less a random jitter of up to half. */
export function backoffMs(n: number, initialMs: number, maxMs: number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, Math.min(n - 1, 30)));
  return Math.round(base * (1 - Math.random() * 0.5));
}
