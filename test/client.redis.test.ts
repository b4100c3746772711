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

    it('a replica SIGKILLed, then Redis restarted empty, while 3 clients send 200 each: every send resolves once; each client delivers the others’ messages once, in one order, and misses only what falls in the one gap it is told of, at the Redis restart', async () => {
      const { one, two, redis } = pair;
      const names = ['ann', 'ben', 'cat'];
      // ann and ben on node-1 (killed and started again on its port), cat on node-2.
      const clients: Recorded[] = names.map((name, i) =>
        record(connectRoom(base(i < 2 ? one : two), 'client-faults', { name, WebSocket, backoff: { initialMs: 100, maxMs: 1000 } })),
      );
      // How many messages each client had delivered when it was told of a gap.
      const gapAt = clients.map((c) => {
        const at: number[] = [];
        c.room.on('gap', () => at.push(c.messages.length));
        return at;
      });
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
        // No gap so far: a replica's death loses nothing.
        expect(gapAt).toEqual([[], [], []]);
        await redis.kill();
        expect(resolved.size, 'Redis died while the clients were still sending').toBeLessThan(600);
        await sleep(500);
        await redis.restart();

        await allSent;
        expect(resolved.size).toBe(600);
        for (const [text, acks] of resolved) expect({ text, acks: acks.length }).toEqual({ text, acks: 1 });
        const idOf = new Map([...resolved].map(([text, [ack]]) => [text, ack!.id]));
        expect(new Set(idOf.values()).size).toBe(600);
        const pairOf = (id: string) => id.split('-').map(Number) as [number, number];
        const below = (a: string, b: string) => {
          const [x, y] = [pairOf(a), pairOf(b)];
          return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
        };

        for (const [ci, c] of clients.entries()) {
          const name = names[ci]!;
          const others = [...idOf.keys()].filter((t) => !t.startsWith(`${name} `));
          // Everything sent after its reconnect reaches it: wait for the last of them.
          const newest = others.reduce((a, b) => (below(idOf.get(a)!, idOf.get(b)!) ? b : a));
          await until(() => c.messages.some((m) => m.text === newest), `${name} to deliver the newest message`, 20_000).catch(() => {});
          await sleep(200);
          const texts = c.texts();
          expect({ client: name, distinct: new Set(texts).size }).toEqual({ client: name, distinct: texts.length });
          // One order: each delivers with the ids the senders were given, in increasing id order.
          for (const m of c.messages) expect(m.id).toBe(idOf.get(m.text));
          for (let i = 1; i < c.messages.length; i++) {
            expect(below(c.messages[i - 1]!.id, c.messages[i]!.id), `${name}: ${c.messages[i - 1]!.id} before ${c.messages[i]!.id}`).toBe(true);
          }
          // Redis lost the room's log, and with it the proof that nothing acked just
          // before it died was lost: told once, and anything it misses lies inside that gap.
          // On a failure, what the client went through is in the diff.
          const story = { statuses: c.statuses, gapAt: gapAt[ci], delivered: c.messages.length };
          expect({ client: name, gaps: gapAt[ci]!.length, story }).toEqual({ client: name, gaps: 1, story });
          const at = gapAt[ci]![0]!;
          const lastBefore = c.messages[at - 1]?.id;
          const firstAfter = c.messages[at]?.id;
          const delivered = new Set(texts);
          const outside = others.filter((t) => {
            if (delivered.has(t)) return false;
            const id = idOf.get(t)!;
            return (lastBefore !== undefined && !below(lastBefore, id)) || (firstAfter !== undefined && !below(id, firstAfter));
          });
          const missed = outside.map((t) => `${t} ${idOf.get(t)}`);
          expect({ client: name, missedOutsideTheGap: missed, lastBefore, firstAfter, story }).toEqual({ client: name, missedOutsideTheGap: [], lastBefore, firstAfter, story });
          expect(c.messages.at(-1)?.text, `${name} delivered the newest message`).toBe(newest);
        }
        // ann and ben reconnected after their replica died (with since, recovered) and after Redis lost the log (not).
        const recoveredAt = (c: Recorded) => c.statuses.flatMap((s) => (s.state === 'live' ? [s.recovered] : []));
        expect(clients.map(recoveredAt)).toEqual([
          [false, true, false],
          [false, true, false],
          [false, false],
        ]);
      } finally {
        for (const c of clients) c.room.close();
      }
    }, 120_000);
  });
});
