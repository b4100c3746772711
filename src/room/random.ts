const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** Bytes at or past this are skipped, so that every letter is as likely (256 is not a multiple of 26). */
const UNBIASED = 256 - (256 % LETTERS.length);
/**
 * Random bytes drawn 4 KiB at a time: one Web Crypto call per connect was
 * 13 µs of a Node replica's ~600 µs of CPU per connect.
 */
const pool = new Uint8Array(4096);
let used = pool.length;

/** Random lower-case letters from the platform's CSPRNG (Web Crypto, on every runtime). */
export function randomLetters(n: number): string {
  let out = '';
  while (out.length < n) {
    if (used === pool.length) {
      crypto.getRandomValues(pool);
      used = 0;
    }
    const b = pool[used++]!;
    if (b < UNBIASED) out += LETTERS[b % LETTERS.length];
  }
  return out;
}
