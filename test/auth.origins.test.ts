import { describe, expect, it } from 'vitest';
import { parseAllowedOrigins } from '../src/auth/allowed-origins.ts';
import { parseConfig } from '../src/config/config.ts';

/** docs/protocol.md "Origins": ALLOWED_ORIGINS, read once at start. */
describe('ALLOWED_ORIGINS', () => {
  it('is off when absent or empty: no check at all, any Origin is accepted', () => {
    expect(parseAllowedOrigins(undefined)).toBeUndefined();
    expect(parseAllowedOrigins('')).toBeUndefined();
    expect(parseAllowedOrigins('   ')).toBeUndefined();
  });

  it('accepts a listed origin, and a request without Origin (not a browser)', () => {
    const allowed = parseAllowedOrigins('https://chat.example.com')!;
    expect(allowed('https://chat.example.com')).toBe(true);
    expect(allowed(undefined)).toBe(true);
  });

  it('refuses an unlisted origin, null, and anything that is not an origin', () => {
    const allowed = parseAllowedOrigins('https://chat.example.com')!;
    expect(allowed('https://evil.example.com')).toBe(false);
    expect(allowed('http://chat.example.com')).toBe(false);
    expect(allowed('https://chat.example.com:8443')).toBe(false);
    expect(allowed('https://chat.example.com.evil.example')).toBe(false);
    expect(allowed('null')).toBe(false);
    expect(allowed('')).toBe(false);
    expect(allowed('chat.example.com')).toBe(false);
  });

  it('compares scheme and host without letter case, both in the list and in the header', () => {
    const allowed = parseAllowedOrigins('HTTPS://Chat.Example.COM')!;
    expect(allowed('https://chat.example.com')).toBe(true);
    expect(allowed('hTTps://CHAT.example.com')).toBe(true);
  });

  it('lets a default port be left out or written, on either side', () => {
    const allowed = parseAllowedOrigins('https://chat.example.com:443, http://localhost')!;
    expect(allowed('https://chat.example.com')).toBe(true);
    expect(allowed('http://localhost:80')).toBe(true);
    expect(allowed('http://localhost:8080')).toBe(false);
    expect(parseAllowedOrigins('http://localhost:8080')!('http://localhost:8080')).toBe(true);
  });

  it('ignores spaces around entries and empty entries', () => {
    const allowed = parseAllowedOrigins('  https://a.example ,https://b.example  ,, ')!;
    expect(allowed('https://a.example')).toBe(true);
    expect(allowed('https://b.example')).toBe(true);
    expect(allowed('https://c.example')).toBe(false);
  });

  it.each([
    ['a bare host', 'chat.example.com'],
    ['a path', 'https://chat.example.com/app'],
    ['a query', 'https://chat.example.com?x=1'],
    ['user info', 'https://me@chat.example.com'],
    ['another scheme', 'ftp://chat.example.com'],
    ['null', 'null'],
    ['a wildcard', '*'],
  ])('refuses a list with %s, naming the entry', (_what, entry) => {
    expect(() => parseAllowedOrigins(`https://ok.example, ${entry}`)).toThrow(entry);
  });

  it('is read by parseConfig, which refuses a bad list with a line naming ALLOWED_ORIGINS', () => {
    expect(parseConfig({ ALLOWED_ORIGINS: ' https://a.example ' }, { instanceId: 't' }).allowedOrigins).toBe('https://a.example');
    expect(parseConfig({}, { instanceId: 't' }).allowedOrigins).toBeUndefined();
    expect(() => parseConfig({ ALLOWED_ORIGINS: 'https://a.example/path' }, { instanceId: 't' })).toThrow(/^ALLOWED_ORIGINS is not valid/);
  });
});

it('refuses a list with no origin in it, which would refuse every browser', () => {
  expect(() => parseAllowedOrigins(' , ,')).toThrow('lists no origin');
});
