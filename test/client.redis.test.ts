import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connectRoom } from '../src/client/index.ts';
import { CLIENT_SUITE_ENV, describeClientSuite } from './support/client-suite.ts';
import { live, record, sleep, until, type Recorded } from './support/client-sockets.ts';
import { redisAvailable } from './support/redis-server.ts';
import { startReadyReplica, startRedisPair, type RedisPair, type ReplicaProcess } from './support/replica-processes.ts';

const base = (r: ReplicaProcess) => `http://127.0.0.1:${r.port}`;

describe.runIf(redisAvailable())('chat-hub/client over Redis', () => {
  // The suite's cases, on two replica processes over one Redis: each pair of members on different replicas.
  describeClientSuite({
    runtime: 'a replica pair over Redis (Node)',
    // Redis trims its stream in whole nodes of 100: 250 messages push the first out of a HISTORY_SIZE=50 room.
    missedForGap: 250,
    async start() {
      const pair = await startRedisPair(CLIENT_SUITE_ENV);
      return { bases: [base(pair.one), base(pair.two)], close: () => pair.close() };
    },
  });

  describe('faults, with the server at its defaults', () => {
    let pair: RedisPair;
    let restarted: ReplicaProcess | null = null;
    beforeAll(async () => {
      pair = await startRedisPair();
    }, 30_000);
    afterAll(async () => {
      await restarted?.service.stop();
      await pair?.close();
    });

    it('a replica SIGKILLed and Redis restarted while 3 clients send 200 each: every send resolves once, every client delivers the others’ messages once, in one order, without a gap', async () => {
      const { one, two, redis } = pair;
      const names = ['ann', 'ben', 'cat'];
      // ann and ben on node-1 (killed and started again on its port), cat on node-2.
      const clients: Recorded[] = names.map((name, i) =>
        record(connectRoom(base(i < 2 ? one : two), 'client-faults', { name, WebSocket, backoff: { initialMs: 100, maxMs: 1000 } })),
      );
      try {
        await Promise.all(clients.map((c) => live(c.room)));
        const resolved = new Map<string, { id: string; ts: number }[]>();
        const sends = clients.flatMap((c, ci) =>
          Array.from({ length: 200 }, (_, i) => {
            const text = `${names[ci]} ${i}`;
            return c.room.send(text).then((ack) => {
              resolved.set(text, [...(resolved.get(text) ?? []), ack]);
            });
          }),
        );
        const allSent = Promise.all(sends);

        await until(() => resolved.size >= 60, 'some to go through');
        one.service.child.kill('SIGKILL');
        await one.service.exited;
        await until(() => clients[0]!.room.status.state === 'reconnecting', 'ann to notice');
        await sleep(300);
        restarted = await startReadyReplica('node-1', redis.url, one.port);
        await Promise.all(clients.map((c) => live(c.room, 20_000)));

        const before = resolved.size;
        await until(() => resolved.size >= before + 60, 'more to go through', 20_000);
        await redis.kill();
        expect(resolved.size, 'Redis died while the clients were still sending').toBeLessThan(600);
        await sleep(500);
        await redis.restart();

        await allSent;
        expect(resolved.size).toBe(600);
        for (const [text, acks] of resolved) expect({ text, acks: acks.length }).toEqual({ text, acks: 1 });
        const idOf = new Map([...resolved].map(([text, [ack]]) => [text, ack!.id]));
        expect(new Set(idOf.values()).size).toBe(600);

        for (const [ci, c] of clients.entries()) {
          const others = [...idOf.keys()].filter((t) => !t.startsWith(`${names[ci]} `));
          await until(() => c.messages.length >= others.length, `${names[ci]} to deliver the others' 400`, 20_000).catch(() => {});
          await sleep(200);
          const texts = c.texts();
          expect({ client: names[ci], count: texts.length, distinct: new Set(texts).size }).toEqual({ client: names[ci], count: 400, distinct: 400 });
          expect(new Set(texts)).toEqual(new Set(others));
          // One order: each delivers with the ids the senders were given, in increasing id order.
          for (const m of c.messages) expect(m.id).toBe(idOf.get(m.text));
          const ids = c.messages.map((m) => m.id.split('-').map(Number) as [number, number]);
          for (let i = 1; i < ids.length; i++) {
            const [a, b] = [ids[i - 1]!, ids[i]!];
            expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `${names[ci]}: ${c.messages[i - 1]!.id} before ${c.messages[i]!.id}`).toBe(true);
          }
          expect({ client: names[ci], gaps: c.gaps }).toEqual({ client: names[ci], gaps: 0 });
        }
        // ann and ben did reconnect (with since), cat did not need to.
        for (const c of clients.slice(0, 2)) expect(c.statuses.filter((s) => s.state === 'live')).toHaveLength(2);
      } finally {
        for (const c of clients) c.room.close();
      }
    }, 120_000);
  });
});
