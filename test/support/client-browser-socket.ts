import { WebSocket } from 'ws';
import type { WebSocketLike } from '../../src/client/index.ts';

/**
 * ws's WebSocket dressed as a browser's (or Deno's, or a Worker's): a refused
 * upgrade says nothing of its HTTP status. Its error event is a bare
 * `{ type: 'error' }` and its close a 1006 with no reason; `unexpected-response`
 * is swallowed. `blocked()` true makes every new socket fail as an unreachable
 * host would (nothing is dialled).
 */
export function browserLikeSockets(options: { blocked?: () => boolean } = {}) {
  const made: BrowserLike[] = [];
  class BrowserLike implements WebSocketLike {
    onopen: ((ev: any) => void) | null = null;
    onmessage: ((ev: any) => void) | null = null;
    onclose: ((ev: any) => void) | null = null;
    onerror: ((ev: any) => void) | null = null;
    private readonly ws: WebSocket | null;
    private state = 0;
    constructor(readonly url: string) {
      made.push(this);
      if (options.blocked?.()) {
        this.ws = null;
        setTimeout(() => this.fail(), 5);
        return;
      }
      const ws = new WebSocket(url);
      this.ws = ws;
      // A refused upgrade: hide the response (ws would otherwise put its status in the error).
      ws.on('unexpected-response', (req, res) => {
        res.resume();
        req.destroy();
        this.fail();
      });
      ws.on('open', () => {
        this.state = 1;
        this.onopen?.({ type: 'open' });
      });
      ws.on('message', (data, isBinary) => {
        this.onmessage?.({ type: 'message', data: isBinary ? data : data.toString() });
      });
      ws.on('error', () => this.fail());
      ws.on('close', (code, reason) => {
        if (this.state === 3) return;
        this.state = 3;
        this.onclose?.({ type: 'close', code, reason: reason.toString() });
      });
    }
    get readyState(): number {
      return this.state;
    }
    send(data: string): void {
      this.ws?.send(data);
    }
    close(code?: number, reason?: string): void {
      if (this.state === 3) return;
      try {
        this.ws?.close(code, reason);
      } catch {
        this.ws?.terminate();
      }
    }
    /** Cuts it as a lost network does (1006). */
    terminate(): void {
      this.ws?.terminate();
    }
    /** A failure before open, as a browser tells it: a bare error, then 1006. */
    private fail(): void {
      if (this.state === 3) return;
      this.state = 3;
      this.onerror?.({ type: 'error' });
      this.onclose?.({ type: 'close', code: 1006, reason: '' });
    }
  }
  return { WebSocket: BrowserLike, made };
}
