import { SELF, env, evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { HANDSHAKE, WorkerClient } from './worker-client.ts';
import { logLinesDuring } from './worker-log-lines.ts';

/**
 * LOG_LEVEL=debug at the edge (this project's binding): refusals at info and
 * a member's connect, join, close and leave at debug, each with the address
 * Cloudflare gives in CF-Connecting-IP, as a Node replica logs them.
 */
const ADDRESS = '203.0.113.7';

async function connectFrom(room: string, query: string): Promise<WorkerClient> {
  const res = await SELF.fetch(`http://chat.test/ws/${room}?${query}`, { headers: { ...HANDSHAKE, 'CF-Connecting-IP': ADDRESS } });
  expect(res.status).toBe(101);
  return WorkerClient.accept(res.webSocket!);
}

describe('the edge logs as a replica does', () => {
  it('logs a refused request at info with its status, code, room and address, and no query', async () => {
    const lines = await logLinesDuring(async () => {
      const res = await SELF.fetch('http://chat.test/ws/no%20spaces?name=alice&token=not-for-logs', { headers: { ...HANDSHAKE, 'CF-Connecting-IP': ADDRESS } });
      expect(res.status).toBe(400);
      await res.body?.cancel();
    });
    const refused = lines.filter((l) => l.msg === 'request refused');
    expect(refused).toEqual([expect.objectContaining({ level: 'info', status: 400, code: 'bad_request', address: ADDRESS })]);
    expect(JSON.stringify(lines)).not.toMatch(/not-for-logs|name=alice/);
  });

  it('logs connect, join, close and leave at debug, and a member refused at info, with the address, and never a message text', async () => {
    const lines = await logLinesDuring(async () => {
      const alice = await connectFrom('edge-logs', 'name=alice');
      await alice.next('welcome');
      await alice.say('words that stay out of the logs', 'r1');
      alice.ws.close(1000, 'bye');
      await alice.closed;

      const bob = await connectFrom('edge-logs', 'name=bob');
      await bob.next('welcome');
      bob.ws.send('x'.repeat(70_000));
      expect(await bob.closed).toBe(1009);
    });
    const ofRoom = lines.filter((l) => l.room === 'edge-logs');
    expect(ofRoom.map((l) => [l.level, l.msg, l.code ?? null])).toEqual([
      ['debug', 'member connected', null],
      ['debug', 'member joined', null],
      ['debug', 'member closed', 1000],
      ['debug', 'member left', null],
      ['debug', 'member connected', null],
      ['debug', 'member joined', null],
      ['info', 'member refused', 1009],
      ['debug', 'member closed', 1009],
      ['debug', 'member left', null],
    ]);
    expect(ofRoom.filter((l) => l.msg === 'member connected' || l.msg === 'member refused').map((l) => l.address)).toEqual([ADDRESS, ADDRESS, ADDRESS]);
    expect(JSON.stringify(lines)).not.toContain('words that stay out of the logs');
  });

  it('keeps a member\'s address through a hibernation', async () => {
    const carol = await connectFrom('edge-logs-hibernate', 'name=carol');
    await carol.next('welcome');
    await evictDurableObject(env.ROOMS.get(env.ROOMS.idFromName('edge-logs-hibernate')));
    const lines = await logLinesDuring(async () => {
      carol.ws.send('x'.repeat(70_000));
      expect(await carol.closed).toBe(1009);
    });
    expect(lines.filter((l) => l.msg === 'member refused')).toEqual([expect.objectContaining({ code: 1009, room: 'edge-logs-hibernate', address: ADDRESS })]);
  });
});
