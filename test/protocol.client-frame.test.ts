import { describe, expect, it } from 'vitest';
import { ProtocolError, parseClientFrame } from '../src/protocol/index.ts';

const long = (n: number, ch = 'a') => ch.repeat(n);

describe('parseClientFrame accepts what docs/protocol.md allows', () => {
  const good: Array<[string, string, unknown]> = [
    ['a ping', '{"type":"ping"}', { type: 'ping' }],
    ['a message', '{"type":"message","text":"Hello!"}', { type: 'message', text: 'Hello!' }],
    ['a message with a ref', '{"type":"message","text":"hi","ref":"r-1"}', { type: 'message', text: 'hi', ref: 'r-1' }],
    ['text of exactly 2000 characters', JSON.stringify({ type: 'message', text: long(2000) }), { type: 'message', text: long(2000) }],
    ['2000 astral characters (code points, not UTF-16 units)', JSON.stringify({ type: 'message', text: long(2000, '😀') }), { type: 'message', text: long(2000, '😀') }],
    ['text with surrounding white space, kept as sent', '{"type":"message","text":"  hi \\n"}', { type: 'message', text: '  hi \n' }],
    ['a ref of 64 characters', JSON.stringify({ type: 'message', text: 'x', ref: long(64) }), { type: 'message', text: 'x', ref: long(64) }],
    ['unknown extra fields, dropped', '{"type":"ping","extra":1}', { type: 'ping' }],
  ];
  it.each(good)('%s', (_name, frame, expected) => {
    expect(parseClientFrame(frame)).toEqual(expected);
  });
});

describe('parseClientFrame refuses bad frames with bad_request, keeping a readable ref', () => {
  const bad: Array<[string, string, string | undefined]> = [
    ['not JSON', 'hello', undefined],
    ['truncated JSON', '{"type":"message"', undefined],
    ['a JSON array', '[1,2]', undefined],
    ['a JSON string', '"ping"', undefined],
    ['JSON null', 'null', undefined],
    ['no type', '{"text":"hi"}', undefined],
    ['an unknown type', '{"type":"shout","text":"hi","ref":"r1"}', 'r1'],
    ['a numeric type', '{"type":1}', undefined],
    ['a message without text', '{"type":"message","ref":"r2"}', 'r2'],
    ['text that is a number', '{"type":"message","text":5,"ref":"r3"}', 'r3'],
    ['empty text', '{"type":"message","text":"","ref":"r4"}', 'r4'],
    ['text of only white space', '{"type":"message","text":" \\t\\n\\u00a0\\u2028","ref":"r5"}', 'r5'],
    ['text of 2001 characters', JSON.stringify({ type: 'message', text: long(2001), ref: 'r6' }), 'r6'],
    ['an empty ref', '{"type":"message","text":"hi","ref":""}', undefined],
    ['a ref of 65 characters', JSON.stringify({ type: 'message', text: 'hi', ref: long(65) }), undefined],
    ['a numeric ref', '{"type":"message","text":"hi","ref":7}', undefined],
    ['a null ref', '{"type":"message","text":"hi","ref":null}', undefined],
  ];
  it.each(bad)('%s', (_name, frame, ref) => {
    const result = parseClientFrame(frame);
    expect(result).toBeInstanceOf(ProtocolError);
    const error = result as ProtocolError;
    expect(error.code).toBe('bad_request');
    expect(error.ref).toBe(ref);
    expect(error.message.length).toBeGreaterThan(5);
  });
});
