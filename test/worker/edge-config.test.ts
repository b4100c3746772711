import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { edgeConfig } from '../../src/worker/edge-config.ts';

describe("the edge's variables", () => {
  it('default as on Node, with the instance called edge', () => {
    expect(edgeConfig(env)).toMatchObject({ historySize: 1000, rateLimit: 20, maxFrameBytes: 16384, instanceId: 'edge' });
  });

  it('are checked as on Node, with one line naming the variable', () => {
    expect(() => edgeConfig({ ...env, RATE_LIMIT: 'fast' })).toThrow('RATE_LIMIT="fast" is not valid: expected a whole number from 0 to 10000');
  });

  it('read ROOM_TTL and PRESENCE_LIMIT, a week and 1000 unless set', () => {
    expect(edgeConfig(env)).toMatchObject({ roomTtlSeconds: 604_800, presenceLimit: 1000 });
    expect(edgeConfig({ ...env, ROOM_TTL: '2', PRESENCE_LIMIT: '50' })).toMatchObject({ roomTtlSeconds: 2, presenceLimit: 50 });
  });

  it('keep at most 2000 messages a room, which a recovery reads into the object at once', () => {
    expect(edgeConfig({ ...env, HISTORY_SIZE: '2000' }).historySize).toBe(2000);
    expect(() => edgeConfig({ ...env, HISTORY_SIZE: '2001' })).toThrow('HISTORY_SIZE="2001" is not valid at the edge: expected at most 2000');
  });
});
