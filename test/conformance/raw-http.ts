import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 request with exactly these headers and no body, written on a
 * socket of its own (Node's client would add a chunked body to a POST, and
 * fetch would not send an upgrade); the answer is read until the server closes.
 */
export function rawRequest(port: number, method: string, path: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const lines = [`${method} ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (!('connection' in headers)) lines.push('connection: close');
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    const chunks: Buffer[] = [];
    socket.on('data', (d) => {
      chunks.push(d);
      const parsed = parse(Buffer.concat(chunks));
      if (!parsed) return;
      socket.destroy();
      if (parsed.status === 101) reject(new Error('upgraded with 101'));
      else resolve(parsed);
    });
    socket.on('end', () => {
      const parsed = parse(Buffer.concat(chunks), true);
      if (parsed) resolve(parsed);
      else reject(new Error(`no HTTP answer: ${JSON.stringify(Buffer.concat(chunks).toString().slice(0, 200))}`));
    });
    socket.on('error', reject);
  });
}

/** A whole response once its body (by content-length, or up to the end) is in. */
function parse(data: Buffer, ended = false): RawResponse | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...headerLines] = data.subarray(0, end).toString().split('\r\n');
  const status = Number(statusLine!.split(' ')[1]);
  if (status === 101) return { status, headers: {}, body: '' };
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const at = line.indexOf(':');
    headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  const body = data.subarray(end + 4);
  const length = headers['content-length'];
  if (length !== undefined) return body.length >= Number(length) ? { status, headers, body: body.subarray(0, Number(length)).toString() } : null;
  return ended ? { status, headers, body: body.toString() } : null;
}
