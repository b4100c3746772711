import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClientFrame, parseConnectRequest, parseDisplayName, ProtocolError } from '../src/protocol/index.ts';

/**
 * The parsers at the protocol's boundary, over inputs no one thought of: they
 * answer every string with a value or a `bad_request` ProtocolError, and what
 * they accept obeys docs/protocol.md. The oracles below are written from
 * docs/protocol.md, not from the code: code points by the string iterator, the
 * forbidden name characters by Unicode's own Cc property.
 */

const RUNS = { numRuns: 1000 };

/** Code points, as docs/protocol.md counts characters (a lone surrogate is one). */
const chars = (s: string) => [...s].length;

/** docs/protocol.md "Fine points": Cc, the bidirectional controls, the zero-width characters. */
const FORBIDDEN_IN_NAMES = /[\p{Cc}\u202A-\u202E\u2066-\u2069\u200B-\u200D\u2060\uFEFF]/u;

/** Any code point, lone surrogates included, weighted towards the ones the rules are about. */
const tricky = fc.constantFrom(
  '\u0000', '\u0001', '\t', '\n', '\u001f', '\u007f', '\u0085', '\u009f', '\u00a0',
  '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u202a', '\u202e', '\u2066', '\u2069',
  '\u2028', '\u3000', ' ', '😀', '\ud800', '\udfff', 'é', '"', '\\', '{', '}',
);
const anyChar = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: tricky },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: anyChar, maxLength: 40 }),
);
/** Strings around a length limit: `n` copies of one character, n near the limit. */
const around = (limit: number) =>
  fc.tuple(fc.integer({ min: limit - 3, max: limit + 3 }), fc.constantFrom('x', '😀', ' ', 'é', '\u0000'))
    .map(([n, c]) => c.repeat(n));

/** A value for a field, of any JSON type, with strings near the limits more often than chance gives. */
const fieldValue = fc.oneof(
  { weight: 4, arbitrary: anyString },
  { weight: 1, arbitrary: around(2000) },
  { weight: 1, arbitrary: around(64) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', ' \n\t ', '\u00a0', '\ufeff') },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Objects that look like client frames: `type`, `text` and `ref` each present or not, of any type. */
const frameLike = fc.oneof(
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('message', 'ping', 'Message', 'pong', ''), fieldValue),
      text: fieldValue,
      ref: fieldValue,
      extra: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  ),
  // Messages with string fields, so that about half are good ones.
  fc.record(
    {
      type: fc.constant('message'),
      text: fc.oneof(anyString, around(2000), fc.constantFrom(' ', '\u3000\n', '\ufeff')),
      ref: fc.oneof(anyString, around(64)),
    },
    { requiredKeys: ['type', 'text'] },
  ),
);

const frameText = fc.oneof(
  anyString,
  fc.json({ maxDepth: 3 }),
  fc.object({ maxDepth: 2 }).map((o) => JSON.stringify(o)),
  frameLike.map((o) => JSON.stringify(o)),
  // Frames cut short or with junk around them.
  fc.tuple(frameLike.map((o) => JSON.stringify(o)), fc.nat(), anyString).map(([s, at, junk]) => s.slice(0, at % (s.length + 1)) + junk),
);

function parseOrThrowFailure(data: string): ReturnType<typeof parseClientFrame> {
  try {
    return parseClientFrame(data);
  } catch (err) {
    throw new Error(`parseClientFrame threw for ${JSON.stringify(data)}: ${err}`);
  }
}

function isValidRef(ref: unknown): boolean {
  return typeof ref === 'string' && chars(ref) >= 1 && chars(ref) <= 64;
}

describe('parseClientFrame over any string', () => {
  it('returns a frame or a bad_request ProtocolError, never throws', () => {
    fc.assert(
      fc.property(frameText, (data) => {
        const result = parseOrThrowFailure(data);
        if (result instanceof ProtocolError) expect(result.code).toBe('bad_request');
        else expect(['message', 'ping']).toContain(result.type);
      }),
      RUNS,
    );
  });

  it('accepts a message only with a text of 1–2000 characters, not only white space, and a ref of 1–64, forwarded exactly', () => {
    fc.assert(
      fc.property(frameLike, (object) => {
        const result = parseOrThrowFailure(JSON.stringify(object));
        if (result instanceof ProtocolError || result.type !== 'message') return;
        expect(object.type).toBe('message');
        expect(typeof result.text).toBe('string');
        expect(result.text).toBe(object.text);
        expect(result.text.trim()).not.toBe('');
        expect(chars(result.text)).toBeGreaterThanOrEqual(1);
        expect(chars(result.text)).toBeLessThanOrEqual(2000);
        if ('ref' in object) {
          expect(result.ref).toBe(object.ref);
          expect(isValidRef(result.ref)).toBe(true);
        } else {
          expect(result.ref).toBeUndefined();
        }
      }),
      RUNS,
    );
  });

  it('accepts every message docs/protocol.md allows, and refuses every other with bad_request', () => {
    fc.assert(
      fc.property(frameLike, (object) => {
        const result = parseOrThrowFailure(JSON.stringify(object));
        const text = object.text;
        const allowed =
          object.type === 'message' &&
          typeof text === 'string' && text.trim() !== '' && chars(text) <= 2000 &&
          (!('ref' in object) || isValidRef(object.ref));
        if (allowed) expect(result).toEqual({ type: 'message', text, ...('ref' in object ? { ref: object.ref } : {}) });
        else if (object.type !== 'ping') expect(result).toBeInstanceOf(ProtocolError);
      }),
      RUNS,
    );
  });

  it('puts a ref on an error only when the frame had a valid one, and then that one', () => {
    fc.assert(
      fc.property(frameLike, (object) => {
        const result = parseOrThrowFailure(JSON.stringify(object));
        if (!(result instanceof ProtocolError)) return;
        if (isValidRef(object.ref)) expect(result.ref).toBe(object.ref);
        else expect(result.ref).toBeUndefined();
      }),
      RUNS,
    );
  });
});

/** Calls `parse`; a throw other than a bad_request ProtocolError fails the property. */
function nameOrRefusal<T>(parse: () => T): { value: T } | { refused: ProtocolError } {
  try {
    return { value: parse() };
  } catch (err) {
    if (err instanceof ProtocolError && err.code === 'bad_request') return { refused: err };
    throw new Error(`threw something other than a bad_request ProtocolError: ${err}`);
  }
}

const nameText = fc.oneof(
  anyString,
  around(32),
  // A good name with one character of any kind inside, and white space around.
  fc.tuple(fc.constantFrom('', ' ', '\t\n', '\u3000', '\ufeff'), anyChar, fc.constantFrom('', ' ', '\n'))
    .map(([pad, c, end]) => `${pad}al${c}ice${end}`),
);

describe('names over any string', () => {
  it('parseDisplayName gives the trimmed name, anon for white space, or bad_request: exactly as docs/protocol.md says', () => {
    fc.assert(
      fc.property(nameText, (raw) => {
        const result = nameOrRefusal(() => parseDisplayName(raw));
        const trimmed = raw.trim();
        if (trimmed === '') expect(result).toEqual({ value: undefined });
        else if (chars(trimmed) > 32 || FORBIDDEN_IN_NAMES.test(trimmed)) expect(result).toHaveProperty('refused');
        else expect(result).toEqual({ value: trimmed });
      }),
      RUNS,
    );
  });

  it('parseConnectRequest accepts a name only without a forbidden character and of at most 32 characters', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant('lobby'), anyString), nameText, fc.option(anyString), (room, name, since) => {
        const result = nameOrRefusal(() => parseConnectRequest(room, name, since ?? undefined));
        if (!('value' in result)) return;
        const accepted = result.value.name;
        if (accepted === undefined) {
          expect(name.trim()).toBe('');
        } else {
          expect(FORBIDDEN_IN_NAMES.test(accepted)).toBe(false);
          expect(chars(accepted)).toBeGreaterThanOrEqual(1);
          expect(chars(accepted)).toBeLessThanOrEqual(32);
        }
      }),
      RUNS,
    );
  });
});
