import { WebSocket } from 'ws';
import type { Config } from '../config/config.ts';

/** A silent socket is dropped at most this share of IDLE_TIMEOUT_MS late. */
const IDLE_CHECKS_PER_TIMEOUT = 10;

/** When the socket was last heard from, on the socket itself: no map entry, no closure per socket. */
const LAST_HEARD = Symbol('last heard');
type Watched = WebSocket & { [LAST_HEARD]: number };

function heard(this: WebSocket): void {
  (this as Watched)[LAST_HEARD] = Date.now();
}

/**
 * A ping to every member each PING_INTERVAL_MS, and a drop for one that sent
 * nothing, pongs included, for IDLE_TIMEOUT_MS. One timer for all, ticking
 * often enough that the drop is not a whole ping interval late; a socket only
 * records when it was last heard from.
 */
export function watchLiveness(clients: Set<WebSocket>, { pingIntervalMs, idleTimeoutMs }: Pick<Config, 'pingIntervalMs' | 'idleTimeoutMs'>) {
  const tickMs = Math.min(pingIntervalMs, Math.max(100, Math.floor(idleTimeoutMs / IDLE_CHECKS_PER_TIMEOUT)));
  let lastPing = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const ping = now - lastPing >= pingIntervalMs - tickMs / 2;
    if (ping) lastPing = now;
    for (const ws of clients) {
      if (now - ((ws as Watched)[LAST_HEARD] ?? now) >= idleTimeoutMs) ws.terminate();
      else if (ping && ws.readyState === WebSocket.OPEN) ws.ping();
    }
  }, tickMs);
  timer.unref();
  return {
    /** Watches a new socket for pongs and pings; its data frames are the caller's to report with `heard`. */
    track(ws: WebSocket): void {
      heard.call(ws);
      ws.on('pong', heard);
      ws.on('ping', heard);
    },
    /** The socket sent a data frame. */
    heard(ws: WebSocket): void {
      heard.call(ws);
    },
    stop: () => clearInterval(timer),
  };
}
