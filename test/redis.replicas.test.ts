import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareIdText } from '../src/protocol/index.ts';
import { redisAvailable, type RedisServer } from './support/redis-server.ts';
import { startRedisPair, type RedisPair, type ReplicaProcess } from './support/replica-processes.ts';
import { eventually } from './support/eventually.ts';

/** Two replicas as real processes, joined by a real redis-server: one chat. */
describe.runIf(redisAvailable())('two replica processes over Redis', () => {
  let pair: RedisPair;
  let redis: RedisServer;
  let one: ReplicaProcess;
  let two: ReplicaProcess;
  let roomNo = 0;
  const room = () => `r${roomNo++}`;
  const join: RedisPair['join'] = (...args) => pair.join(...args);

  beforeAll(async () => {
    pair = await startRedisPair({ RATE_LIMIT: '0' });
    ({ redis, one, two } = pair);
  }, 30_000);
  afterAll(async () => {
    await pair?.close();
  });

  it('carries chat both ways, with presence, across the processes', async () => {
    const r = room();
    const alice = await join(one, 'alice', r);
    const bob = await join(two, 'bob', r);
    expect(bob.welcome.instance).toBe('node-2');
    expect(bob.welcome.members.map((m: any) => m.name).sort()).toEqual(['alice', 'bob']);
    expect(await alice.client.next('join')).toEqual({ type: 'join', member: bob.welcome.you });

    const ack = await alice.client.say('over redis');
    expect(await bob.client.next('message')).toEqual({ type: 'message', id: ack.id, room: r, from: alice.welcome.you, text: 'over redis', ts: ack.ts });
    const back = await bob.client.say('and back');
    expect((await alice.client.next('message')).id).toBe(back.id);

    bob.client.close();
    expect(await alice.client.next('leave')).toEqual({ type: 'leave', member: bob.welcome.you });
  });

  it('does not double a ref re-sent through the other replica', async () => {
    const r = room();
    const watcher = await join(one, 'watcher', r);
    const alice = await join(one, 'alice', r);
    const first = await alice.client.say('once', 'ref-across');
    alice.client.close();
    const again = await join(two, 'alice', r);
    expect(await again.client.say('once', 'ref-across')).toEqual(first);
    const after = await again.client.say('after');
    await watcher.client.next('message', (m) => m.id === after.id);
    expect(watcher.client.received.filter((f) => f.type === 'message').map((m) => m.text)).toEqual(['once', 'after']);
  });

  it('gives every receiver the same id sequence with four senders on two replicas', async () => {
    const r = room();
    const senders = [];
    for (let i = 0; i < 4; i++) senders.push(await join(i % 2 ? two : one, `s${i}`, r));
    const observers = [await join(one, 'obs1', r), await join(two, 'obs2', r)];

    const acks = await Promise.all(
      senders.map(async (s, i) => {
        const ids = [];
        for (let n = 0; n < 25; n++) ids.push((await s.client.say(`${i}:${n}`)).id);
        return ids;
      }),
    );
    const all = acks.flat().sort(compareIdText);
    for (const o of observers) {
      const seen = [];
      for (let n = 0; n < 100; n++) seen.push((await o.client.next('message')).id);
      expect(seen).toEqual(all);
    }
    for (const [i, s] of senders.entries()) {
      const own = new Set(acks[i]);
      const seen = [];
      for (let n = 0; n < 75; n++) seen.push((await s.client.next('message')).id);
      expect(seen).toEqual(all.filter((id) => !own.has(id)));
    }
  });

  it('recovers everything after since on the other replica, past 50 missed', async () => {
    const r = room();
    const feeder = await join(two, 'feeder', r);
    const alice = await join(one, 'alice', r);
    const seen = await alice.client.say('last seen');
    alice.client.close();
    const missed = [];
    for (let i = 0; i < 70; i++) missed.push((await feeder.client.say(`missed ${i}`)).id);

    const back = await join(two, 'alice', r, { since: seen.id });
    expect(back.welcome).toMatchObject({ recovered: true, backlog: 70 });
    expect(back.backlog.map((m) => m.id)).toEqual(missed);

    const garbage = await join(one, 'carol', r, { since: '12-x' });
    expect(garbage.welcome).toMatchObject({ recovered: false, backlog: 50 });
    expect(garbage.backlog.map((m) => m.id)).toEqual([seen.id, ...missed].slice(-50));
  });

  it('gives a member who joins mid-flow no gap and no duplicate between backlog and live', async () => {
    const r = room();
    const sender = await join(one, 'sender', r);
    const ids: string[] = [];
    let sending = true;
    const flow = (async () => {
      for (let i = 0; sending || i < 60; i++) {
        ids.push((await sender.client.say(`flow ${i}`)).id);
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    await eventually(() => expect(ids.length).toBeGreaterThan(60));
    const joiner = await join(two, 'joiner', r);
    const sentBeforeWelcome = ids.length;
    await eventually(() => expect(ids.length).toBeGreaterThan(sentBeforeWelcome + 30));
    sending = false;
    await flow;

    expect(joiner.backlog).toHaveLength(50);
    const got = [...joiner.backlog.map((m) => m.id)];
    const last = ids.at(-1)!;
    while (got.at(-1) !== last) got.push((await joiner.client.next('message')).id);
    expect(got.length).toBeGreaterThan(80);
    expect(got).toEqual(ids.slice(ids.indexOf(got[0]!)));
  });

  it('subscribes a room only while it has local members, on one subscriber connection per replica', async () => {
    const admin = new Redis(redis.url);
    try {
      const subscribers = async (r: string) => ((await admin.pubsub('NUMSUB', `chat:{${r}}`)) as [string, number])[1];
      const rooms = [room(), room(), room()];
      const members = [];
      for (const r of rooms) members.push(await join(one, 'here', r));
      const visitor = await join(two, 'visitor', rooms[0]!);
      expect(await Promise.all(rooms.map(subscribers))).toEqual([2, 1, 1]);

      // Rooms of earlier tests are still held too: however many, one connection per replica.
      const list = (await admin.client('LIST')) as string;
      expect(list.split('\n').filter((l) => / sub=[1-9]/.test(l))).toHaveLength(2);

      visitor.client.close();
      await eventually(async () => expect(await subscribers(rooms[0]!)).toBe(1));
      for (const m of members) m.client.close();
      await eventually(async () => expect(await Promise.all(rooms.map(subscribers))).toEqual([0, 0, 0]));
    } finally {
      admin.disconnect();
    }
  });
});
