/** Buckets of 0.1 ms up to 100 ms, then of 1 ms up to 60 s: enough to read a p99 against 100 ms. */
const FINE = 1000;
const COARSE = 60_000;

export function emptyHistogram(): Uint32Array {
  return new Uint32Array(FINE + COARSE + 1);
}

export function record(histogram: Uint32Array, ms: number): void {
  const bucket = ms < 100 ? Math.max(0, Math.floor(ms * 10)) : Math.min(FINE + Math.floor(ms - 100), FINE + COARSE);
  histogram[bucket]!++;
}

export function mergeInto(total: Uint32Array, part: Uint32Array): void {
  for (let i = 0; i < part.length; i++) total[i]! += part[i]!;
}

/** The latency (ms, the bucket's upper edge) below which `q` of the samples fall; NaN without samples. */
export function percentile(histogram: Uint32Array, q: number): number {
  let count = 0;
  for (const n of histogram) count += n;
  if (count === 0) return NaN;
  const rank = Math.ceil(q * count);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return i < FINE ? (i + 1) / 10 : 100 + (i - FINE + 1);
  }
  return Infinity;
}
