import type { Context, MiddlewareHandler } from 'hono';

/** What a `Range` header asks of a representation of `size` bytes (RFC 9110 §14.1–14.2). */
export type RangeAnswer =
  | { kind: 'whole' }
  | { kind: 'part'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const RANGE_SPEC = /^(?:([0-9]+)-([0-9]*)|-([0-9]+))$/;

/**
 * One satisfiable byte range is served; a header that is not a byte range set
 * is ignored, as are several ranges (no multipart answers here); a reversed or
 * unsatisfiable range gets 416, as §14.2 recommends.
 */
export function answerRange(header: string, size: number): RangeAnswer {
  const match = /^bytes[ \t]*=[ \t]*(.*)$/i.exec(header);
  if (!match) return { kind: 'whole' };
  const specs = match[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const parsed = specs.map((s) => RANGE_SPEC.exec(s));
  if (parsed.length === 0 || parsed.some((m) => m === null)) return { kind: 'whole' };
  const parts: { start: number; end: number }[] = [];
  for (const [, first, last, suffix] of parsed as RegExpExecArray[]) {
    if (suffix !== undefined) {
      const length = Number(suffix);
      if (length > 0 && size > 0) parts.push({ start: Math.max(0, size - length), end: size - 1 });
      continue;
    }
    const start = Number(first);
    const end = last === '' ? size - 1 : Number(last);
    if (last !== '' && end < start) return { kind: 'unsatisfiable' };
    if (start < size) parts.push({ start, end: Math.min(end, size - 1) });
  }
  if (parts.length === 0) return { kind: 'unsatisfiable' };
  return parts.length === 1 ? { kind: 'part', ...parts[0]! } : { kind: 'whole' };
}

/**
 * Byte ranges for the page's files, in front of the runtime's serveStatic.
 * @hono/node-server's answers 500 to a reversed range and a whole file to
 * `bytes=0-0` (https://github.com/honojs/node-server/blob/v1.19.19/src/serve-static.ts,
 * the `range` branch); hono/deno's ignores ranges. So serveStatic sees no
 * Range, and the part is cut here from its whole answer: the page's files
 * are a few KiB.
 */
export function staticRanges(serveStatic: MiddlewareHandler, refused: (c: Context, status: number, code: string) => void = () => {}): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('range');
    if (header === undefined || c.req.method !== 'GET') return serveStatic(c, next);
    const whole = await withoutRange(c, () => serveStatic(c, next));
    if (!whole || whole.status !== 200) return whole;
    const body = new Uint8Array(await whole.arrayBuffer());
    const size = body.byteLength;
    const answer = answerRange(header, size);
    if (answer.kind === 'whole') return new Response(body, { status: 200, headers: whole.headers });
    if (answer.kind === 'unsatisfiable') {
      const error = { code: 'range_not_satisfiable', message: `no byte of ${header.slice(0, 100)} is in this ${size}-byte file` };
      refused(c, 416, error.code);
      return Response.json({ error }, { status: 416, headers: { 'Accept-Ranges': 'bytes', 'Content-Range': `bytes */${size}` } });
    }
    return new Response(body.subarray(answer.start, answer.end + 1), {
      status: 206,
      headers: {
        'Accept-Ranges': 'bytes',
        'Content-Range': `bytes ${answer.start}-${answer.end}/${size}`,
        'Content-Type': whole.headers.get('Content-Type') ?? 'application/octet-stream',
      },
    });
  };
}

/** Runs `serve` with the request's Range header taken away (HonoRequest reads headers from `raw`). */
async function withoutRange(c: Context, serve: () => Promise<Response | void>): Promise<Response | void> {
  const original = c.req.raw;
  const headers = new Headers(original.headers);
  headers.delete('range');
  c.req.raw = new Request(original.url, { method: original.method, headers });
  try {
    return await serve();
  } finally {
    c.req.raw = original;
  }
}
