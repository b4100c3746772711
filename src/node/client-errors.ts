import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { logRefusal } from '../log-bounds.ts';
import type { Logger } from '../logger.ts';

/** What Node answers for each parser error when no one listens: the same bytes here. */
const ANSWERS: Record<string, { status: number; line: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, line: 'HTTP/1.1 431 Request Header Fields Too Large' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, line: 'HTTP/1.1 413 Payload Too Large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, line: 'HTTP/1.1 408 Request Timeout' },
};
const BAD_REQUEST = { status: 400, line: 'HTTP/1.1 400 Bad Request' };

/**
 * A request Node's HTTP parser refuses before any route sees it (a malformed
 * request line, headers past the limit, one sent too slowly) is a refusal
 * like the others: logged at info, bounded, and answered as Node answers it
 * when nothing listens for `clientError` (socketOnError in
 * https://github.com/nodejs/node/blob/v20.x/lib/_http_server.js).
 */
export function logClientErrors(server: Server, log: Logger): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A peer that reset the connection was refused nothing.
    if (err.code !== 'ECONNRESET') {
      const answer = (err.code && ANSWERS[err.code]) || BAD_REQUEST;
      logRefusal(log, 'request refused', { status: answer.status, code: 'bad_request', reason: err.code ?? 'malformed request', address: socket.remoteAddress });
      if (socket.writable && socket.bytesWritten === 0) socket.write(`${answer.line}\r\nConnection: close\r\n\r\n`);
    }
    socket.destroy(err);
  });
}
