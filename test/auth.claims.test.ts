import { describe, expect, it } from 'vitest';
import { checkClaims, grantsRoom } from '../src/auth/claims.ts';
import { ProtocolError } from '../src/protocol/index.ts';

/** docs/protocol.md "Who may connect": the claims of a token whose signature was already verified. */
const NOW = 1_800_000_000;
const valid = { sub: 'u1', exp: NOW + 60 };

/** The 401 a token with these claims gets, or the claims when it passes. */
function check(payload: unknown, rules: { issuer?: string; audience?: string } = {}) {
  try {
    return checkClaims(payload, NOW * 1000, rules);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { refused: err.code };
  }
}
const REFUSED = { refused: 'unauthorized' };

describe('checkClaims', () => {
  it('counts exp to the millisecond: a fractional exp that passed a moment ago is expired', () => {
    expect(checkClaims({ sub: 'u1', exp: NOW + 0.25 }, NOW * 1000 + 200, {})).toMatchObject({ exp: NOW + 0.25 });
    expect(() => checkClaims({ sub: 'u1', exp: NOW + 0.25 }, NOW * 1000 + 300, {})).toThrow('token has expired');
  });

  it.each([
    ['a bidirectional control', 'evil\u202eadmin'],
    ['a zero-width space', 'a\u200bb'],
    ['only white space', '   '],
  ])('refuses a token without a name whose sub, standing in for the name, holds %s', (_what, sub) => {
    expect(check({ sub, exp: NOW + 60 })).toEqual(REFUSED);
  });

  it('gives sub, name (sub when there is none), rooms (absent: undefined) and exp of a good token', () => {
    expect(check(valid)).toEqual({ sub: 'u1', name: 'u1', rooms: undefined, exp: NOW + 60 });
    expect(check({ ...valid, name: '  Alice  ', rooms: ['lobby', 'team-*'] })).toEqual({
      sub: 'u1',
      name: 'Alice',
      rooms: ['lobby', 'team-*'],
      exp: NOW + 60,
    });
  });

  it.each([
    ['not an object', 'u1'],
    ['an array', [valid]],
    ['null', null],
  ])('refuses a payload that is %s', (_what, payload) => {
    expect(check(payload)).toEqual(REFUSED);
  });

  it.each([
    ['missing', { exp: NOW + 60 }],
    ['empty', { sub: '', exp: NOW + 60 }],
    ['a number', { sub: 42, exp: NOW + 60 }],
    ['65 characters', { sub: 's'.repeat(65), exp: NOW + 60 }],
  ])('refuses a sub that is %s', (_what, payload) => {
    expect(check(payload)).toEqual(REFUSED);
  });

  it('takes a sub of 64 characters, counted in code points; as the name it is cut to 32', () => {
    expect(check({ ...valid, sub: '😀'.repeat(64) })).toMatchObject({ sub: '😀'.repeat(64), name: '😀'.repeat(32) });
  });

  it('refuses a missing or non-numeric exp, and an exp that is now (exp is strict) or past', () => {
    expect(check({ sub: 'u1' })).toEqual(REFUSED);
    expect(check({ sub: 'u1', exp: String(NOW + 60) })).toEqual(REFUSED);
    expect(check({ sub: 'u1', exp: NOW })).toEqual(REFUSED);
    expect(check({ sub: 'u1', exp: NOW - 1 })).toEqual(REFUSED);
    expect(check({ sub: 'u1', exp: NOW + 1 })).toMatchObject({ exp: NOW + 1 });
  });

  it.each(['nbf', 'iat'])('tolerates %s up to 30 s ahead of the clock, refuses it further ahead or not a number', (claim) => {
    expect(check({ ...valid, [claim]: NOW - 600 })).toMatchObject({ sub: 'u1' });
    expect(check({ ...valid, [claim]: NOW + 30 })).toMatchObject({ sub: 'u1' });
    expect(check({ ...valid, [claim]: NOW + 31 })).toEqual(REFUSED);
    expect(check({ ...valid, [claim]: String(NOW) })).toEqual(REFUSED);
  });

  it('checks iss only when an issuer is set', () => {
    expect(check({ ...valid, iss: 'anyone' })).toMatchObject({ sub: 'u1' });
    expect(check({ ...valid, iss: 'https://app.example' }, { issuer: 'https://app.example' })).toMatchObject({ sub: 'u1' });
    expect(check({ ...valid, iss: 'https://evil.example' }, { issuer: 'https://app.example' })).toEqual(REFUSED);
    expect(check(valid, { issuer: 'https://app.example' })).toEqual(REFUSED);
  });

  it('checks aud only when an audience is set, as a string or among a list', () => {
    const rules = { audience: 'chat' };
    expect(check({ ...valid, aud: 'other' })).toMatchObject({ sub: 'u1' });
    expect(check({ ...valid, aud: 'chat' }, rules)).toMatchObject({ sub: 'u1' });
    expect(check({ ...valid, aud: ['billing', 'chat'] }, rules)).toMatchObject({ sub: 'u1' });
    expect(check({ ...valid, aud: ['billing'] }, rules)).toEqual(REFUSED);
    expect(check({ ...valid, aud: 'chatty' }, rules)).toEqual(REFUSED);
    expect(check(valid, rules)).toEqual(REFUSED);
  });

  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['only white space', ' \t '],
    ['33 characters', 'n'.repeat(33)],
    ['a control character', 'a\u0001b'],
    ['a bidirectional control', 'a\u202Eb'],
    ['a zero-width character', 'a\u200Bb'],
  ])('refuses the token (401, not 400) when its name is %s', (_what, name) => {
    expect(check({ ...valid, name })).toEqual(REFUSED);
  });

  it('takes a name of 32 characters, counted in code points', () => {
    expect(check({ ...valid, name: '😀'.repeat(32) })).toMatchObject({ name: '😀'.repeat(32) });
  });

  it('refuses rooms that are not a list of strings, and keeps [] as a list that grants none', () => {
    expect(check({ ...valid, rooms: 'lobby' })).toEqual(REFUSED);
    expect(check({ ...valid, rooms: ['lobby', 7] })).toEqual(REFUSED);
    expect(check({ ...valid, rooms: [] })).toMatchObject({ rooms: [] });
  });
});

describe('grantsRoom', () => {
  it('grants every room when rooms is absent, and none when it is []', () => {
    expect(grantsRoom(undefined, 'lobby')).toBe(true);
    expect(grantsRoom([], 'lobby')).toBe(false);
  });

  it('grants a listed name exactly, not its prefixes or extensions', () => {
    expect(grantsRoom(['lobby'], 'lobby')).toBe(true);
    expect(grantsRoom(['lobby'], 'lobby2')).toBe(false);
    expect(grantsRoom(['lobby'], 'lobb')).toBe(false);
    expect(grantsRoom(['lobby'], 'Lobby')).toBe(false);
  });

  it('grants every room that starts with a prefix followed by *, and a lone * grants all', () => {
    expect(grantsRoom(['team-*'], 'team-a')).toBe(true);
    expect(grantsRoom(['team-*'], 'team-')).toBe(true);
    expect(grantsRoom(['team-*'], 'team')).toBe(false);
    expect(grantsRoom(['team-*'], 'a-team-b')).toBe(false);
    expect(grantsRoom(['lobby', 'team-*'], 'lobby')).toBe(true);
    expect(grantsRoom(['*'], 'anything')).toBe(true);
  });

  it('reads * only at the end: elsewhere it is part of a name', () => {
    expect(grantsRoom(['a*b'], 'axb')).toBe(false);
  });
});
