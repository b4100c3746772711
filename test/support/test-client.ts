import WebSocket from 'ws';

export interface Refusal {
  status: number;
  body: any;
}

/**
 * A protocol client over a real socket. Frames are kept in arrival order and
 * taken by `next`, which waits for the first one that matches.
 */
export class TestClient {
  readonly frames: any[] = [];
  /** Every frame ever received, in order, for assertions on order. */
  readonly received: any[] = [];
  /** When each of `received` arrived (Date.now), for assertions on pace. */
  readonly receivedAt: number[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** When the socket closed (Date.now), once it has. */
  closedAt: number | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const frame = isBinary ? { type: '<binary>' } : JSON.parse(data.toString());
      this.frames.push(frame);
      this.received.push(frame);
      this.receivedAt.push(Date.now());
      this.wakeAll();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      this.closedAt = Date.now();
      resolve({ code, reason: reason.toString() });
      this.wakeAll();
    }));
  }

  /** Opens a socket; rejects with a Refusal when the server answers the upgrade with an HTTP error. */
  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new TestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          let parsed: unknown = body;
          try {
            parsed = JSON.parse(body);
          } catch {}
          reject(Object.assign(new Error(`refused with ${res.statusCode}: ${body}`), { status: res.statusCode, body: parsed }));
        });
      });
      ws.once('error', reject);
    });
  }

  /** The HTTP refusal of an upgrade that must be refused; fails when it is upgraded. */
  static async refusal(url: string, options: WebSocket.ClientOptions = {}): Promise<Refusal> {
    let client: TestClient;
    try {
      client = await TestClient.connect(url, options);
    } catch (err: any) {
      if (err.status) return { status: err.status, body: err.body };
      throw err;
    }
    client.close();
    throw new Error(`${url} was upgraded`);
  }

  /** Connects and takes the welcome and its backlog. */
  static async join(url: string, options: WebSocket.ClientOptions = {}): Promise<{ client: TestClient; welcome: any; backlog: any[] }> {
    const client = await TestClient.connect(url, options);
    const welcome = await client.next('welcome');
    const backlog: any[] = [];
    for (let i = 0; i < welcome.backlog; i++) backlog.push(await client.next('message'));
    return { client, welcome, backlog };
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** The first frame not yet taken that has `type` ('*': any) and passes `where`; waits for it. */
  async next(type: string, where: (f: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.frames.findIndex((f) => (type === '*' || f.type === type) && where(f));
      if (at >= 0) return this.frames.splice(at, 1)[0];
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} frame within ${timeoutMs} ms; have ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** The ack or error for `ref`, whichever comes. */
  answerTo(ref: string, timeoutMs = 5000): Promise<any> {
    return this.next('*', (f) => (f.type === 'ack' || f.type === 'error') && f.ref === ref, timeoutMs);
  }

  /** Sends a message and waits for its ack. */
  async say(text: string, ref = `r-${Math.random().toString(36).slice(2)}`): Promise<any> {
    this.send({ type: 'message', text, ref });
    return this.next('ack', (f) => f.ref === ref);
  }

  /** How the server closed the socket, or null when it is still open `withinMs` from now. */
  closedWithin(withinMs: number): Promise<{ code: number; reason: string } | null> {
    const timeout = new Promise<null>((resolve) => setTimeout(resolve, withinMs, null).unref());
    return Promise.race([this.closed, timeout]);
  }

  close(): void {
    this.ws.terminate();
  }
}
