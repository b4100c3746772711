import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { MALFORMED_HANDSHAKES } from '../conformance/handshakes.ts';

/**
 * Behind workerd's HTTP server a malformed upgrade never reaches the Worker (see
 * the conformance suite's known differences); handed to the Worker straight, it
 * gets the same refusal as on Node.
 */
describe('the Worker refuses what is not an RFC 6455 handshake, as Node does', () => {
  it.each(MALFORMED_HANDSHAKES)('400 bad_request for %s', async (_what, headers) => {
    const res = await SELF.fetch('http://chat.test/ws/lobby', { headers });
    expect([res.status, res.headers.get('content-type')]).toEqual([400, expect.stringMatching(/application\/json/)]);
    expect(await res.json()).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(/WebSocket/) } });
  });

});
