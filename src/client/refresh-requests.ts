/** The `refresh` requests not yet answered: sent now or once live, answered in order. */
import type { WebSocketLike } from './room-types.ts';

export interface PendingRefresh {
  readonly token: string;
  sent: boolean;
  resolve(exp: number): void;
  reject(e: unknown): void;
}

export class RefreshRequests {
  private readonly entries: PendingRefresh[] = [];

  /** `socket` gives the socket to send on, or null while there is none that is live. */
  constructor(private readonly socket: () => WebSocketLike | null) {}

  /** Resolves with the token's exp on `refreshed`. */
  add(token: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const entry: PendingRefresh = { token, sent: false, resolve, reject };
      this.entries.push(entry);
      this.send(entry);
    });
  }

  sendUnsent(): void {
    for (const r of this.entries) if (!r.sent) this.send(r);
  }

  /** The socket is gone: every request waits to go again. */
  unsendAll(): void {
    for (const r of this.entries) r.sent = false;
  }

  /** The oldest request sent, which an answer is for, taken off the list. */
  takeAnswered(): PendingRefresh | undefined {
    const r = this.entries.findIndex((x) => x.sent);
    if (r < 0) return undefined;
    return this.entries.splice(r, 1)[0];
  }

  rejectAll(error: unknown): void {
    for (const r of this.entries.splice(0)) r.reject(error);
  }

  private send(entry: PendingRefresh): void {
    const ws = this.socket();
    if (!ws) return;
    entry.sent = true;
    ws.send(JSON.stringify({ type: 'refresh', token: entry.token }));
  }
}
