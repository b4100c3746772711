import { expect, it } from 'vitest';
import { parseConfig } from '../src/config/config.ts';

const parse = (env: Record<string, string>) => parseConfig(env, { instanceId: 'test' });

it('defaults the v1.1 limits as docs/protocol.md gives them', () => {
  expect(parse({})).toMatchObject({
    maxConnections: 10_000,
    maxConnectionsPerIp: 0,
    trustProxy: false,
    pingIntervalMs: 25_000,
    idleTimeoutMs: 60_000,
    presenceLimit: 1000,
    roomTtlSeconds: 604_800,
    metricsToken: undefined,
  });
});

it('reads each of them', () => {
  const env = {
    MAX_CONNECTIONS_PER_IP: '100',
    TRUST_PROXY: '1',
    PING_INTERVAL_MS: '200',
    IDLE_TIMEOUT_MS: '1000',
    PRESENCE_LIMIT: '50',
    ROOM_TTL: '0',
    METRICS_TOKEN: 'a-long-enough-token',
  };
  expect(parse(env)).toMatchObject({
    maxConnectionsPerIp: 100,
    trustProxy: true,
    pingIntervalMs: 200,
    idleTimeoutMs: 1000,
    presenceLimit: 50,
    roomTtlSeconds: 0,
    metricsToken: 'a-long-enough-token',
  });
});

it('keeps the idle timeout past at least two pings when only the interval is raised', () => {
  expect(parse({ PING_INTERVAL_MS: '40000' }).idleTimeoutMs).toBe(80_000);
});

it.each([
  [{ TRUST_PROXY: 'yes' }, 'TRUST_PROXY="yes" is not valid: expected 0 or 1'],
  [{ PING_INTERVAL_MS: '1000', IDLE_TIMEOUT_MS: '1000' }, 'IDLE_TIMEOUT_MS=1000 is not valid: expected more than PING_INTERVAL_MS (1000)'],
  [{ PRESENCE_LIMIT: '0' }, 'PRESENCE_LIMIT="0" is not valid'],
  [{ ROOM_TTL: '-1' }, 'ROOM_TTL="-1" is not valid'],
  [{ MAX_CONNECTIONS_PER_IP: 'many' }, 'MAX_CONNECTIONS_PER_IP="many" is not valid'],
  [{ METRICS_TOKEN: 'short secret' }, 'METRICS_TOKEN is not valid: expected 16–256 printable ASCII characters without spaces'],
])('refuses %o with one line naming it', (env, message) => {
  expect(() => parse(env)).toThrow(message);
});

it('never echoes a bad METRICS_TOKEN', () => {
  expect(() => parse({ METRICS_TOKEN: 'short secret' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('short secret') }));
});

it('keeps AUTH_SECRET as given, spaces included: the key is the value\'s bytes', () => {
  const secret = '  a secret with spaces around it, long enough  ';
  expect(parse({ AUTH_SECRET: secret }).auth.secret).toBe(secret);
  expect(() => parse({ AUTH_SECRET: ' '.repeat(40) })).toThrow('AUTH_SECRET is not valid: it is only white space');
  expect(parse({ AUTH_SECRET: '' }).auth.secret).toBeUndefined();
});
