import { WebSocket } from 'ws';
import type { Config } from '../config/config.ts';

/**
 * A ping to every member each PING_INTERVAL_MS, and a drop for one that sent
 * nothing, pongs included, for IDLE_TIMEOUT_MS. One timer for all; a socket
 * only records when it was last heard from.
 */
export function watchLiveness(clients: Set<WebSocket>, { pingIntervalMs, idleTimeoutMs }: Pick<Config, 'pingIntervalMs' | 'idleTimeoutMs'>) {
  const lastHeard = new WeakMap<WebSocket, number>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const ws of clients) {
      if (now - (lastHeard.get(ws) ?? now) >= idleTimeoutMs) ws.terminate();
      else if (ws.readyState === WebSocket.OPEN) ws.ping();
    }
  }, pingIntervalMs);
  timer.unref();
  return {
    track(ws: WebSocket): void {
      const heard = () => lastHeard.set(ws, Date.now());
      heard();
      ws.on('message', heard);
      ws.on('pong', heard);
      ws.on('ping', heard);
    },
    stop: () => clearInterval(timer),
  };
}

