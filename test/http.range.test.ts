import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { answerRange } from '../routes/static-range.ts';

const script = readFileSync(new URL('../static/app.js', import.meta.url));

let set: ReplicaSet;
beforeAll(async () => {
  set = await startReplicas(1);
});
afterAll(async () => {
  await set?.close();
});

const get = (path: string, range?: string) => fetch(set.httpUrl(0, path), { headers: range === undefined ? {} : { range } });

describe('Range on the page files of a Node replica', () => {
  it.each(['/', '/app.js'])('a reversed range on %s is 416 with the size in Content-Range', async (path) => {
    const whole = await (await get(path)).arrayBuffer();
    const res = await get(path, 'bytes=100-50');
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${whole.byteLength}`);
    expect((await res.json()).error.code).toBe('range_not_satisfiable');
  });

  it('a range that starts past the end is 416', async () => {
    const res = await get('/app.js', `bytes=${script.length}-`);
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${script.length}`);
  });

  it('bytes=0-9 is 206 with the first 10 bytes', async () => {
    const res = await get('/app.js', 'bytes=0-9');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-9/${script.length}`);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(script.subarray(0, 10));
  });

  it('bytes=0-0 is the first byte alone, and bytes=-5 the last five', async () => {
    expect(Buffer.from(await (await get('/app.js', 'bytes=0-0')).arrayBuffer())).toEqual(script.subarray(0, 1));
    const tail = await get('/app.js', 'bytes=-5');
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(script.subarray(script.length - 5));
  });

  it('no Range is 200 with the whole file', async () => {
    const res = await get('/app.js');
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(script);
  });

  it.each(['bytes=x', 'bytes=', 'items=0-9', 'bytes=1-2-3'])('a malformed %s is ignored: 200 with the whole file', async (range) => {
    const res = await get('/app.js', range);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(script);
  });

  it('a Range on a path that is not there is still 404', async () => {
    expect((await get('/nowhere.js', 'bytes=0-9')).status).toBe(404);
  });
});

describe('answerRange (RFC 9110 §14.1.1)', () => {
  it.each([
    ['bytes=0-9', 100, { kind: 'part', start: 0, end: 9 }],
    ['bytes=90-200', 100, { kind: 'part', start: 90, end: 99 }],
    ['bytes=50-', 100, { kind: 'part', start: 50, end: 99 }],
    ['bytes=-200', 100, { kind: 'part', start: 0, end: 99 }],
    ['BYTES = 1-1', 100, { kind: 'part', start: 1, end: 1 }],
    ['bytes=100-50', 1000, { kind: 'unsatisfiable' }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=0-1, 5-6', 100, { kind: 'whole' }],
    ['bytes=0-1, 9-5', 100, { kind: 'unsatisfiable' }],
    ['bytes=x', 100, { kind: 'whole' }],
  ] as const)('%s of %i bytes', (header, size, answer) => {
    expect(answerRange(header, size)).toEqual(answer);
  });
});
