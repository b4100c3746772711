/**
 * The close-code rule (see index.ts): what a closed or refused connection
 * means, stop or reconnect, and the backoff between reconnects.
 */

/** Refusals in a row (401 with a token function, or closes before open) before giving up. */
const REFUSALS_BEFORE_STOP = 3;

type ErrorEvent = { message?: unknown; error?: { code?: unknown; message?: unknown } } | null;

/** An error event's message: its own, or its error's (ws). */
function errorText(e: ErrorEvent): string {
  return typeof e?.message === 'string' ? e.message : typeof e?.error?.message === 'string' ? e.error.message : '';
}

/** The HTTP status a refused upgrade had, when the WebSocket implementation says (ws does, in its error). */
function refusedStatus(ev: unknown): number | null {
  const m = /Unexpected server response: (\d{3})/.exec(errorText(ev as ErrorEvent));
  return m ? Number(m[1]) : null;
}

/** Whether the error was a network failure (nothing reached), when the implementation says. */
function networkFailure(ev: unknown): boolean {
  const e = ev as ErrorEvent;
  if (typeof e?.error?.code === 'string' && /^E[A-Z]+/.test(e.error.code)) return true;
  return /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|EAI_AGAIN|socket hang up/i.test(errorText(e));
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
  /**
   * Refused as often as allowed, no status said (browsers, Deno, Workers): ask
   * the room's history route, which runs the join checks, and act on its
   * status (see `judgeProbe`); `otherwise` is the reason to retry with.
   */
  | { action: 'probe'; otherwise: string }
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
      return { action: 'probe', reason: otherwise, otherwise, refusals };
    }
    return retry(otherwise);
  }
  return retry(reason || (code === 1006 ? 'connection lost' : `closed with ${code}`));
}

/**
 * What the join checks say now: the status of `GET <base>/rooms/<room>/history?limit=1`
 * with the token as `Authorization: Bearer`, a route that runs exactly the checks of
 * `/ws/:room` (400, 403 origin, 401, 403 grant) and whose status fetch can read, unlike
 * a refused WebSocket's. Null when there is no readable answer: no fetch, a network
 * error, an opaque (cross-origin) answer.
 */
export async function probeJoin(baseUrl: string, room: string, token: string | undefined): Promise<{ status: number; detail: string } | null> {
  const f = (globalThis as { fetch?: typeof fetch }).fetch;
  if (!f) return null;
  try {
    const url = new URL(baseUrl);
    if (url.protocol === 'ws:') url.protocol = 'http:';
    else if (url.protocol === 'wss:') url.protocol = 'https:';
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/rooms/${encodeURIComponent(room)}/history`;
    url.search = '?limit=1';
    url.hash = '';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const res = await f(url.toString(), { headers, cache: 'no-store' });
    if (res.type === 'opaque' || res.type === 'opaqueredirect' || res.status === 0) {
      await res.body?.cancel().catch(() => {});
      return null;
    }
    let detail = '';
    if (res.status >= 400) {
      try {
        const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
        const code = typeof body?.error?.code === 'string' ? body.error.code : '';
        const message = typeof body?.error?.message === 'string' ? body.error.message : '';
        detail = [code, message].filter(Boolean).join(': ');
      } catch {
        // not the JSON error body: the status says enough
      }
    } else {
      await res.body?.cancel().catch(() => {});
    }
    return { status: res.status, detail };
  } catch {
    return null;
  }
}

/**
 * The verdict on a probe's answer: 400, 401 and 403 stop (with a token function,
 * a 401 is first asked again with a fresh token: `renew`); anything else (200,
 * 429, 5xx, no readable answer) keeps retrying.
 */
export function judgeProbe(answer: { status: number; detail: string } | null, tokenIsFunction: boolean, renewed: boolean): 'stop' | 'renew' | 'retry' {
  if (answer === null) return 'retry';
  if (answer.status === 401 && tokenIsFunction && !renewed) return 'renew';
  if (answer.status === 400 || answer.status === 401 || answer.status === 403) return 'stop';
  return 'retry';
}

/** The reason a probe's refusal stops with. */
export function probeReason(answer: { status: number; detail: string }): string {
  const head = answer.status === 401 ? `unauthorized (HTTP 401)` : `refused (HTTP ${answer.status})`;
  return answer.detail ? `${head}: ${answer.detail}` : head;
}

/** The delay before reconnect `n` (1 = the first): initialMs·2^(n−1), at most maxMs, less a random jitter of up to half. */
export function backoffMs(n: number, initialMs: number, maxMs: number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, Math.min(n - 1, 30)));
  return Math.round(base * (1 - Math.random() * 0.5));
}
