import type { WSContext } from 'hono/ws';
import type { MemberSocket } from '../room/index.ts';

const DRAIN_POLL_MS = 5;
/** How long the client must have sent nothing before a close goes. */
const QUIET_MS = 30;
/** After this long a close goes anyway. */
const DRAIN_LIMIT_MS = 2000;

/**
 * Deno's close() drops the connection with no close frame (the client sees
 * 1006, not the code) while anything is still unsent, or while the client's
 * frames are still arriving (a flood closed with 1008). So a close waits for
 * the send buffer to empty and the client to pause.
 */
function closeWhenSent(raw: WebSocket, lastHeard: () => number, code: number, reason: string): void {
  const giveUp = Date.now() + DRAIN_LIMIT_MS;
  const ready = () => raw.bufferedAmount === 0 && Date.now() - lastHeard() >= QUIET_MS;
  const timer = setInterval(() => {
    if (!ready() && Date.now() < giveUp && raw.readyState === WebSocket.OPEN) return;
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
      let heard = 0;
      raw.addEventListener('message', () => (heard = Date.now()));
      return {
        send: (frame) => raw.send(frame),
        close: (code, reason) => closeWhenSent(raw, () => heard, code, reason),
        bufferedAmount: () => raw.bufferedAmount,
      };
    },
    get openSockets(): number {
      return open.size;
    },
  };
}
