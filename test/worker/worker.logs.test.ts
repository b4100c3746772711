import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { HANDSHAKE, WorkerClient } from './worker-client.ts';
import { logLinesDuring } from './worker-log-lines.ts';

/** At the default LOG_LEVEL (info), the edge writes refusals only; a member's ordinary life writes nothing. */
describe('the edge at LOG_LEVEL=info', () => {
  it('writes no line for a member that joins, talks and leaves; a refusal has its line, with the address', async () => {
    const lines = await logLinesDuring(async () => {
      const { client } = await WorkerClient.join('edge-quiet', 'name=alice');
      await client.say('hello', 'r1');
      client.ws.close(1000, 'bye');
      await client.closed;
      const res = await SELF.fetch('http://chat.test/ws/edge-quiet', { headers: { ...HANDSHAKE, 'CF-Connecting-IP': '198.51.100.4', 'Sec-WebSocket-Version': '8' } });
      expect(res.status).toBe(400);
      await res.body?.cancel();
    });
    expect(lines).toEqual([expect.objectContaining({ level: 'info', msg: 'request refused', status: 400, address: '198.51.100.4' })]);
  });
});
