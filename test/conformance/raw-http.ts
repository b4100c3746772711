import { request as httpRequest } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One HTTP/1.1 request with exactly these headers (fetch would not send an upgrade). */
export function rawRequest(port: number, method: string, path: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers as Record<string, string>, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      reject(new Error(`upgraded with ${res.statusCode}`));
    });
    req.on('error', reject);
    req.end();
  });
}
