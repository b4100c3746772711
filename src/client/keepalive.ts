/** The ping of a live connection: `ping` when nothing came for a while, and a dead connection noticed when nothing answers. */
import type { WebSocketLike } from './room-types.ts';

export class Keepalive {
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private pingSent = false;

  /** `intervalMs`: 0 (or less) turns it off. */
  constructor(private readonly intervalMs: number) {}

  /** The socket opened. */
  opened(): void {
    this.lastHeard = Date.now();
  }

  /** Something came. */
  heard(): void {
    this.lastHeard = Date.now();
    this.pingSent = false;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Pings `ws` while it is `current()`; calls `silent(ws)` when a ping had no
   * answer: the connection is gone without a close.
   */
  start(ws: WebSocketLike | null, current: () => WebSocketLike | null, silent: (ws: WebSocketLike) => void): void {
    this.stop();
    this.pingSent = false;
    this.lastHeard = Date.now();
    if (!(this.intervalMs > 0)) return;
    this.timer = setInterval(() => {
      if (ws !== current() || !ws) return;
      if (Date.now() - this.lastHeard < this.intervalMs) return;
      if (this.pingSent) return silent(ws);
      this.pingSent = true;
      this.lastHeard = Date.now();
      ws.send('{"type":"ping"}');
    }, Math.max(1000, Math.floor(this.intervalMs / 2)));
  }
}
