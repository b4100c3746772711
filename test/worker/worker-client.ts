import { SELF } from 'cloudflare:test';

/** The headers of a WebSocket upgrade, as a browser sends them. */
export const HANDSHAKE = {
  Upgrade: 'websocket',
  Connection: 'Upgrade',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
};

/**
 * A member inside workerd, connected through the Worker (SELF) like a browser:
 * frames are kept in arrival order and taken by `next`.
 */
export class WorkerClient {
  private readonly frames: any[] = [];
  private wake: (() => void) | null = null;
  closedWith: number | null = null;
  /** The close code, once the close handshake is done. */
  readonly closed: Promise<number>;
  private markClosed!: (code: number) => void;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    ws.addEventListener('message', (event) => {
      this.frames.push(JSON.parse(event.data as string));
      this.wake?.();
    });
    ws.addEventListener('close', (event) => {
      this.closedWith = event.code;
      this.markClosed(event.code);
      this.wake?.();
    });
    ws.accept();
  }

  /** A client on a socket the caller's own upgrade returned. */
  static accept(ws: WebSocket): WorkerClient {
    return new WorkerClient(ws);
  }

  static async connect(room: string, query = ''): Promise<WorkerClient> {
    const response = await SELF.fetch(`http://chat.test/ws/${room}?${query}`, { headers: HANDSHAKE });
    if (response.status !== 101 || !response.webSocket) {
      throw new Error(`upgrade refused with ${response.status}: ${await response.text()}`);
    }
    return new WorkerClient(response.webSocket);
  }

  /** Connects and takes the welcome and its backlog. */
  static async join(room: string, query = ''): Promise<{ client: WorkerClient; welcome: any; backlog: any[] }> {
    const client = await WorkerClient.connect(room, query);
    const welcome = await client.next('welcome');
    const backlog: any[] = [];
    for (let i = 0; i < welcome.backlog; i++) backlog.push(await client.next('message'));
    return { client, welcome, backlog };
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  async say(text: string, ref: string): Promise<any> {
    this.send({ type: 'message', text, ref });
    return this.next('ack', (f) => f.ref === ref);
  }

  async next(type: string, where: (f: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.frames.findIndex((f) => f.type === type && where(f));
      if (at >= 0) return this.frames.splice(at, 1)[0];
      if (this.closedWith !== null) throw new Error(`socket closed (${this.closedWith}) while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} frame within ${timeoutMs} ms; have ${JSON.stringify(this.frames).slice(0, 400)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  close(): void {
    this.ws.close(1000, 'bye');
  }
}
