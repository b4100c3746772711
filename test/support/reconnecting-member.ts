import WebSocket from 'ws';

/**
 * A member that behaves as docs/containers.md tells clients to: on a close (1012 for a
 * restart, 1013, 1006 for a dead replica) it reconnects through the proxy with
 * backoff and `since`, and re-sends the messages not yet acknowledged, with
 * their refs. It records every message id it is given, in order.
 */
export class ReconnectingMember {
  /** Ids of every `message` frame received (backlogs included), in arrival order. */
  readonly received: string[] = [];
  /** Their texts, in the same order. */
  readonly receivedTexts: string[] = [];
  /** ref → id of the member's own acknowledged messages. */
  readonly acked = new Map<string, string>();
  readonly closeCodes: number[] = [];
  /** HTTP statuses of refused upgrades. */
  readonly refusals: number[] = [];
  /** Welcomes after a reconnect that could not recover from `since`. */
  unrecovered = 0;
  welcomes = 0;
  readonly instances = new Set<string>();
  private readonly unacked = new Map<string, string>();
  /** ref → text of everything it sent. */
  private readonly texts = new Map<string, string>();
  private lastAckedRef: string | null = null;
  /** Acks to a re-sent ref that named another id than the first ack: the message was published twice. */
  readonly ackMismatches: string[] = [];
  private ws: WebSocket | null = null;
  private ready = false;
  private stopped = false;
  private lastId: string | null = null;
  private attempt = 0;
  private sent = 0;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly base: string,
    readonly room: string,
    readonly name: string,
  ) {}

  /** Connects, and resolves at the first welcome; fails, saying what it saw, if none comes within `timeoutMs`. */
  start(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no welcome within ${timeoutMs} ms: ${this.describe()}`)), timeoutMs);
      this.onFirstWelcome = () => {
        clearTimeout(timer);
        resolve();
      };
      this.open();
    });
  }

  private onFirstWelcome: (() => void) | null = null;

  say(): string {
    const ref = `${this.name}-${this.sent++}`;
    this.unacked.set(ref, `${this.name} says ${this.sent}`);
    this.texts.set(ref, `${this.name} says ${this.sent}`);
    if (this.ready) this.transmit(ref);
    return ref;
  }

  /** What it is doing, for a failure message. */
  describe(): string {
    return `${this.name}: ${this.ready ? 'ready' : 'not ready'}, socket ${this.ws?.readyState ?? 'none'}, ${this.welcomes} welcomes, closes [${this.closeCodes}], refusals [${this.refusals}], ${this.unacked.size} unacked`;
  }

  get pending(): number {
    return this.unacked.size;
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.ws?.terminate();
  }

  private open(): void {
    const query = new URLSearchParams({ name: this.name });
    if (this.lastId) query.set('since', this.lastId);
    const ws = new WebSocket(`${this.base}/ws/${this.room}?${query}`);
    this.ws = ws;
    ws.on('message', (data) => this.onFrame(JSON.parse(data.toString())));
    ws.on('close', (code) => {
      if (ws !== this.ws) return;
      this.closeCodes.push(code);
      this.reconnect();
    });
    // A refused upgrade (502 from the proxy while no replica is up, 503 from a
    // replica shutting down): ws fires no close for it, so try again from here.
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      if (ws !== this.ws) return;
      this.ws = null;
      this.refusals.push(res.statusCode ?? 0);
      ws.terminate();
      this.reconnect();
    });
    ws.on('error', () => undefined);
  }

  private reconnect(): void {
    this.ready = false;
    if (this.stopped) return;
    const delay = Math.min(1000, 50 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
    this.retry = setTimeout(() => this.open(), delay);
  }

  private onFrame(frame: any): void {
    switch (frame.type) {
      case 'welcome':
        this.welcomes++;
        this.instances.add(frame.instance);
        if (this.lastId && !frame.recovered) this.unrecovered++;
        this.attempt = 0;
        this.ready = true;
        for (const ref of this.unacked.keys()) this.transmit(ref);
        // As if the last ack had been lost with the connection: its ref goes
        // again, and must be answered with the first id, not published twice.
        if (this.lastAckedRef) this.transmit(this.lastAckedRef);
        this.onFirstWelcome?.();
        this.onFirstWelcome = null;
        break;
      case 'message':
        this.received.push(frame.id);
        this.receivedTexts.push(frame.text);
        this.lastId = frame.id;
        break;
      case 'ack':
        if (!frame.ref) break;
        if (this.unacked.delete(frame.ref)) {
          this.acked.set(frame.ref, frame.id);
          this.lastAckedRef = frame.ref;
        } else if (this.acked.get(frame.ref) !== frame.id) {
          this.ackMismatches.push(`${frame.ref}: ${this.acked.get(frame.ref)} then ${frame.id}`);
        }
        break;
      case 'error':
        // `unavailable` or `rate_limited`: the message was not published; it stays unacked and goes again.
        if (frame.ref && this.unacked.has(frame.ref)) setTimeout(() => this.ready && this.transmit(frame.ref), 200);
        break;
    }
  }

  private transmit(ref: string): void {
    const text = this.texts.get(ref);
    if (text !== undefined && this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'message', text, ref }));
  }
}
