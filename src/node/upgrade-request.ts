import type { IncomingMessage } from 'node:http';

const REAL = Symbol('real request');
/** Methods fetch refuses to carry (https://fetch.spec.whatwg.org/#forbidden-method). */
const FORBIDDEN_METHOD = /^(?:CONNECT|TRACE|TRACK)$/i;

/**
 * An upgrade as the fetch Request the app reads, without undici's Request
 * (with its AbortSignal) built for every upgrade: 10,000 connects cost about
 * 60 µs less CPU each without it (scripts/connection-memory.ts). Its URL,
 * method and headers are its own; reading anything else (a body, a signal,
 * clone()) builds the real Request once and answers from it. The same lazy
 * Request as @hono/node-server's for plain HTTP:
 * https://github.com/honojs/node-server/blob/v1.19.19/src/request.ts
 */
class UpgradeRequest {
  declare [REAL]: Request | undefined;

  constructor(
    readonly url: string,
    readonly method: string,
    readonly headers: Headers,
  ) {}
}

function realRequest(request: UpgradeRequest): Request {
  return (request[REAL] ??= new Request(request.url, { method: request.method, headers: request.headers }));
}

// `instanceof Request` holds; Request's own getters check their receiver, so each is replaced by one that reads the real Request.
Object.setPrototypeOf(UpgradeRequest.prototype, Request.prototype);
for (const key of Object.getOwnPropertyNames(Request.prototype)) {
  if (key === 'constructor' || key === 'url' || key === 'method' || key === 'headers') continue;
  Object.defineProperty(UpgradeRequest.prototype, key, {
    get(this: UpgradeRequest) {
      const real = realRequest(this);
      const value: unknown = Reflect.get(real, key);
      return typeof value === 'function' ? value.bind(real) : value;
    },
  });
}

/**
 * The upgrade as a fetch Request; undefined for what fetch cannot express (a
 * TRACE, an unparseable URL, a header value Headers refuses), where
 * `new Request` would throw.
 */
export function upgradeRequest(request: IncomingMessage): Request | undefined {
  const method = request.method ?? 'GET';
  if (FORBIDDEN_METHOD.test(method)) return undefined;
  try {
    const target = request.url ?? '/';
    // A path is appended, not resolved: `//evil/ws/x` stays a path, as in plain HTTP, not a host.
    const url = new URL(target.startsWith('/') ? `http://localhost${target}` : target, 'http://localhost').href;
    const headers = new Headers();
    const raw = request.headers;
    for (const key in raw) {
      const value = raw[key];
      if (value !== undefined) headers.append(key, Array.isArray(value) ? value.join(', ') : value);
    }
    return new UpgradeRequest(url, method, headers) as unknown as Request;
  } catch {
    return undefined;
  }
}
