import type { MemberSocket } from '../room/index.ts';
import type { SocketEvents } from '../../routes/registry-gateway.ts';

const DRAIN_POLL_MS = 5;
/** How long the client must have sent nothing before a close goes. */
const QUIET_MS = 30;
/** After this long a close goes anyway. */
const DRAIN_LIMIT_MS = 2000;

/**
 * A member's socket on Deno, and the events its frames go to: one object per
 * member, its methods shared. Deno's WebSocket sends bytes as a binary frame,
 * so members get the string; it does report its send buffer.
 */
export class DenoMemberSocket implements MemberSocket {
  /** When the client's last frame arrived. */
  heard = 0;

  constructor(
    readonly raw: WebSocket,
    readonly events: SocketEvents,
  ) {}

  send(frame: string): void {
    this.raw.send(frame);
  }

  close(code: number, reason: string): void {
    closeWhenSent(this, code, reason);
  }

  bufferedAmount(): number {
    return this.raw.bufferedAmount;
  }
}

/**
 * Deno's close() drops the connection with no close frame (the client sees
 * 1006, not the code) while anything is still unsent, or while the client's
 * frames are still arriving (a flood closed with 1008). So a close waits for
 * the send buffer to empty and the client to pause.
 */
function closeWhenSent(socket: DenoMemberSocket, code: number, reason: string): void {
  const { raw } = socket;
  const giveUp = Date.now() + DRAIN_LIMIT_MS;
  const ready = () => raw.bufferedAmount === 0 && Date.now() - socket.heard >= QUIET_MS;
  const timer = setInterval(() => {
    if (!ready() && Date.now() < giveUp && raw.readyState === WebSocket.OPEN) return;
    clearInterval(timer);
    raw.close(code, reason);
  }, DRAIN_POLL_MS);
}
