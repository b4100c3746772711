import { type Server, type Socket, createConnection, createServer } from 'node:net';

/** One client connection through the proxy, and whether it entered subscriber mode. */
interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  subscriber: boolean;
  /** Whether it sent a data command (not just the handshake): a command connection once it did. */
  commands: boolean;
  /** Chunks towards the client, each with when it is due, written in order: a later one waits for those before it. */
  queue: Array<{ chunk: Buffer; at: number }>;
}

/**
 * A TCP proxy in front of one Redis, so a test can cut or slow a replica's
 * subscriber connection alone (the one that sent SUBSCRIBE or SSUBSCRIBE),
 * or slow its command connection's replies, without touching Redis.
 */
export class TcpProxy {
  /** Milliseconds each reply towards a command (non-subscriber) connection waits. */
  commandReplyDelayMs = 0;

  private constructor(
    private readonly server: Server,
    private readonly links: Set<Link>,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const links = new Set<Link>();
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => {
      const upstream = createConnection({ host: targetHost, port: targetPort });
      const link: Link = { client, upstream, subscriber: false, commands: false, queue: [] };
      links.add(link);
      client.on('data', (chunk: Buffer) => {
        const text = chunk.toString('latin1');
        if (/S?SUBSCRIBE/i.test(text)) link.subscriber = true;
        else if (/EVALSHA|XRANGE|XREVRANGE|MULTI|HGETALL|SET/i.test(text)) link.commands = true;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        const delay = link.commands && !link.subscriber ? (proxy?.commandReplyDelayMs ?? 0) : 0;
        link.queue.push({ chunk, at: Date.now() + delay });
        if (link.queue.length === 1) release(link);
      });
      const end = () => {
        links.delete(link);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end);
      upstream.on('close', end);
      client.on('error', end);
      upstream.on('error', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('proxy has no port');
    proxy = new TcpProxy(server, links, address.port);
    return proxy;
  }

  /** Cuts every subscriber connection now (as a reset from the network would). */
  cutSubscribers(): number {
    let cut = 0;
    for (const link of this.links) {
      if (!link.subscriber) continue;
      link.client.destroy();
      link.upstream.destroy();
      cut++;
    }
    return cut;
  }

  subscriberCount(): number {
    return [...this.links].filter((l) => l.subscriber).length;
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Writes the link's due chunks in order, then waits for the next one. */
function release(link: Link): void {
  while (link.queue.length > 0 && link.queue[0]!.at <= Date.now()) {
    const { chunk } = link.queue.shift()!;
    if (!link.client.destroyed) link.client.write(chunk);
  }
  if (link.queue.length > 0) setTimeout(() => release(link), link.queue[0]!.at - Date.now());
}
