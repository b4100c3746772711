import { connect } from 'node:net';

export interface RawRequestOptions {
  port: number;
  /** The whole request, head and blank line; sent once per connection. */
  request: string;
  count: number;
  /** Connections open at once. */
  concurrency: number;
  /** Half-close right after the request, as a client that gives up at once would. */
  endAfterWrite?: boolean;
  localAddress?: string;
}

/**
 * Sends `request` on `count` fresh TCP connections, `concurrency` at a time,
 * each read to its end. Resolves with how many answers had each status line
 * (`closed` when the server answered nothing).
 */
export async function sendRawRequests(options: RawRequestOptions): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  let started = 0;
  async function worker(): Promise<void> {
    while (started < options.count) {
      started++;
      const status = await exchange(options);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return statuses;
}

function exchange({ port, request, endAfterWrite, localAddress }: RawRequestOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      if (answer.length < 64) answer += chunk;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer.split('\r\n', 1)[0]!.split(' ', 2)[1] ?? 'closed'));
    socket.on('end', () => socket.end());
    if (endAfterWrite) socket.end(request);
    else socket.write(request);
  });
}

/** An upgrade request for `path`, with the handshake headers and `extra` lines. */
export function upgradeRequest(method: string, path: string, extra: string[] = []): string {
  return [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...extra,
    '',
    '',
  ].join('\r\n');
}
