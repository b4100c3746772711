const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Random lower-case letters from the platform's CSPRNG (Web Crypto, on every runtime). */
export function randomLetters(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let out = '';
  for (const b of bytes) out += LETTERS[b % LETTERS.length];
  return out;
}
