import type { WSContext } from 'hono/ws';
import type { MemberSocket } from '../room/index.ts';

/** Checks for the send buffer to empty before a close; after this long a close goes anyway. */
const DRAIN_POLL_MS = 5;
const DRAIN_LIMIT_MS = 2000;

/**
 * Deno's close() drops the connection, with no close frame, while anything is
 * still unsent (the client sees 1006, not the code): so frames go first.
 */
function closeWhenSent(raw: WebSocket, code: number, reason: string): void {
  if (raw.bufferedAmount === 0) return raw.close(code, reason);
  const giveUp = Date.now() + DRAIN_LIMIT_MS;
  const timer = setInterval(() => {
    if (raw.bufferedAmount > 0 && Date.now() < giveUp && raw.readyState === WebSocket.OPEN) return;
    clearInterval(timer);
    raw.close(code, reason);
  }, DRAIN_POLL_MS);
}

/**
 * Members' sockets on Deno. Deno's WebSocket sends bytes as a binary frame, so
 * members get the string; it does report its send buffer. The open ones are
 * counted, so that a shutdown can wait for its 1012 closes to be answered
 * (stopping the server first would close them with 1001 instead).
 */
export function createDenoSockets() {
  const open = new Set<WebSocket>();
  return {
    memberSocket(ws: WSContext<WebSocket>): MemberSocket {
      const raw = ws.raw!;
      open.add(raw);
      raw.addEventListener('close', () => open.delete(raw));
      return {
        send: (frame) => raw.send(frame),
        close: (code, reason) => closeWhenSent(raw, code, reason),
        bufferedAmount: () => raw.bufferedAmount,
      };
    },
    get openSockets(): number {
      return open.size;
    },
  };
}
