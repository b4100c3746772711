import { describe, expect, it } from 'vitest';
import { randomLetters } from '../src/room/random.ts';

describe('randomLetters (member ids)', () => {
  it('gives lower-case letters only, of the length asked, never the same id twice in 20,000 (past several refills of its pool)', () => {
    const ids = Array.from({ length: 20_000 }, () => randomLetters(16));
    expect(ids.every((id) => /^[a-z]{16}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('makes every letter about as likely: none off by more than 5 % of the mean over 520,000 letters', () => {
    const counts = new Map<string, number>();
    for (const letter of randomLetters(520_000)) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    expect(counts.size).toBe(26);
    for (const count of counts.values()) expect(Math.abs(count - 20_000)).toBeLessThan(1000);
  });
});
