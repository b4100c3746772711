import { Redis } from 'ioredis';
import { compareIdText } from '../src/protocol/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, type RedisServer } from './support/redis-server.ts';
import { startReadyReplica, startRedisPair, startReplicaProcess, waitReady, type RedisPair, type ReplicaProcess } from './support/replica-processes.ts';
import { TestClient } from './support/test-client.ts';
import { eventually } from './support/eventually.ts';

/** Every `join` a client got was for a member it did not list then (its welcome, joins and leaves so far). */
function expectNoJoinForAListedMember(joined: { client: TestClient; welcome: any }): void {
  const listed = new Set<string>(joined.welcome.members.map((m: any) => m.id));
  for (const frame of joined.client.received) {
    if (frame.type === 'join') {
      expect(listed.has(frame.member.id), `${joined.welcome.you.name} got a join for ${frame.member.name}, whom it lists`).toBe(false);
      listed.add(frame.member.id);
    }
    if (frame.type === 'leave') listed.delete(frame.member.id);
  }
}

/** Redis and replicas dying on purpose, with real processes. */
describe.runIf(redisAvailable())('faults', () => {
  let pair: RedisPair;
  let redis: RedisServer;
  let one: ReplicaProcess;
  let two: ReplicaProcess;
  const join: RedisPair['join'] = (...args) => pair.join(...args);

  beforeAll(async () => {
    pair = await startRedisPair({ RATE_LIMIT: '0' });
    ({ redis, one, two } = pair);
  }, 30_000);
  afterAll(async () => {
    await pair?.close();
  });

  it('survives Redis dying and coming back empty: unready meanwhile, then every member is told to reconnect (the log is gone), and misses nothing after', async () => {
    const alice = await join(one, 'alice', 'faults');
    const carol = await join(one, 'carol', 'faults');
    const bob = await join(two, 'bob', 'faults');
    const sender = await join(two, 'sender', 'faults');
    const published: string[] = [];
    for (let i = 0; i < 10; i++) published.push((await sender.client.say(`before ${i}`)).id);
    for (const member of [alice, carol, bob]) await member.client.next('message', (m) => m.id === published.at(-1));

    await redis.kill();
    const killedAt = Date.now();
    await Promise.all([waitReady(one, 503, 5000), waitReady(two, 503, 5000)]);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    const health = await fetch(one.httpUrl('/healthz'));
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(one.httpUrl('/readyz'));
    expect(await ready.json()).toMatchObject({ error: { code: 'unavailable' } });
    alice.client.send({ type: 'message', text: 'while down', ref: 'down-1' });
    expect(await alice.client.next('error')).toEqual({ type: 'error', code: 'unavailable', message: expect.any(String), ref: 'down-1' });
    alice.client.send({ type: 'ping' });
    await alice.client.next('pong');
    await expect(TestClient.connect(two.wsUrl('faults'))).rejects.toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });

    await redis.restart();
    const restartedAt = Date.now();
    // This Redis keeps nothing on disk: with the room's log went the proof that no
    // message acked just before the crash died on its way to a replica, so each
    // replica closes its members there with 1013 rather than carry on as if whole.
    for (const member of [alice, carol, bob, sender]) {
      expect({ member: member.welcome.you.name, code: (await member.client.closed).code }).toEqual({ member: member.welcome.you.name, code: 1013 });
    }
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    await Promise.all([waitReady(one, 200, 10_000), waitReady(two, 200, 10_000)]);

    // Back with `since`: not recovered (the message it names is gone), and whole from there on.
    const since = published.at(-1)!;
    const sender2 = await join(two, 'sender', 'faults', { since });
    // Sent before the others are back: their backlogs bring them.
    const between: string[] = [];
    for (let i = 0; i < 5; i++) between.push((await sender2.client.say(`between ${i}`)).id);
    const again = [sender2];
    for (const [replica, name] of [[one, 'alice'], [one, 'carol'], [two, 'bob']] as const) {
      const member = await join(replica, name, 'faults', { since });
      expect({ member: name, backlog: member.backlog.map((m) => m.id) }).toEqual({ member: name, backlog: between });
      again.push(member);
    }
    for (const m of again) expect({ member: m.welcome.you.name, recovered: m.welcome.recovered }).toEqual({ member: m.welcome.you.name, recovered: false });
    const [, alice2, carol2, bob2] = again as [(typeof again)[0], (typeof again)[0], (typeof again)[0], (typeof again)[0]];
    const after: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ack = await sender2.client.say(`after ${i}`);
      expect(ack.type).toBe('ack');
      after.push(ack.id);
      expect(compareIdText(ack.id, since), `after ${i}: id ${ack.id} not above ${since}`).toBeGreaterThan(0);
    }
    expect(await alice2.client.say('back again')).toMatchObject({ type: 'ack', ref: expect.any(String) });
    for (const member of [alice2, carol2, bob2]) {
      const fromSender = (f: any) => f.type === 'message' && f.from.name === 'sender';
      await eventually(() => expect(member.client.received.filter(fromSender).length).toBeGreaterThanOrEqual(between.length + after.length)).catch(() => {});
      expect({ member: member.welcome.you.name, ids: member.client.received.filter(fromSender).map((m) => m.id) }).toEqual({
        member: member.welcome.you.name,
        ids: [...between, ...after],
      });
    }
    // Redis came back empty: both replicas recorded their members again.
    const late = await join(two, 'late', 'faults');
    expect(late.welcome.members.map((m: any) => m.name).sort()).toEqual(['alice', 'bob', 'carol', 'late', 'sender']);
  }, 40_000);

  it('announces the leave of members of a replica killed with SIGKILL within 30 s', async () => {
    const doomed = await startReplicaProcess('node-3', { REDIS_URL: redis.url });
    await waitReady(doomed);
    const witness = await join(one, 'witness', 'kill');
    const victim = await join(doomed, 'victim', 'kill');
    expect(await witness.client.next('join')).toEqual({ type: 'join', member: victim.welcome.you });

    doomed.service.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await witness.client.next('leave', () => true, 30_000)).toEqual({ type: 'leave', member: victim.welcome.you });
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    await doomed.service.stop();
    const late = await join(two, 'late', 'kill');
    expect(late.welcome.members.map((m: any) => m.name).sort()).toEqual(['late', 'witness']);
  }, 45_000);

  it('sweeps the members of a replica SIGKILLed and restarted under the same INSTANCE_ID within 30 s, everywhere', async () => {
    const doomed = await startReadyReplica('node-3', redis.url);
    let restarted: ReplicaProcess | null = null;
    try {
      const witness = await join(one, 'witness', 'reborn');
      const victims = [];
      for (const name of ['v1', 'v2', 'v3']) victims.push(await join(doomed, name, 'reborn'));
      for (const v of victims) await witness.client.next('join', (f) => f.member.id === v.welcome.you.id);

      doomed.service.child.kill('SIGKILL');
      await doomed.service.exited;
      const killedAt = Date.now();
      restarted = await startReadyReplica('node-3', redis.url, doomed.port);
      // A member of the new incarnation, under the same instance name, in the same room.
      const survivor = await join(restarted, 'survivor', 'reborn');

      for (const v of victims) {
        const leave = await witness.client.next('leave', (f) => f.member.id === v.welcome.you.id, 30_000);
        expect(leave).toEqual({ type: 'leave', member: v.welcome.you });
      }
      const sweptAfterMs = Date.now() - killedAt;
      console.log(`members of the SIGKILLed incarnation left ${sweptAfterMs} ms after the kill`);
      expect(sweptAfterMs).toBeLessThan(30_000);
      for (const v of victims) await survivor.client.next('leave', (f) => f.member.id === v.welcome.you.id);

      for (const replica of [one, two, restarted]) {
        const late = await join(replica, `late-${replica.name}`, 'reborn');
        const names = late.welcome.members.map((m: any) => m.name);
        expect(names.filter((n: string) => /^v\d$/.test(n))).toEqual([]);
        expect(names).toEqual(expect.arrayContaining(['witness', 'survivor']));
      }
    } finally {
      await doomed.service.stop();
      await restarted?.service.stop();
    }
  }, 60_000);

  it('gives no member a join for a member it already lists after Redis restarted empty, and still announces new ones', async () => {
    const room = 'amnesia';
    const members = [];
    for (const [replica, name] of [[one, 'alice'], [one, 'bob'], [two, 'carol'], [two, 'dave']] as const) members.push(await join(replica, name, room));
    await members[0]!.client.next('join', (f) => f.member.name === 'dave');

    await redis.kill();
    await Promise.all([waitReady(one, 503), waitReady(two, 503)]);
    await redis.restart();
    await Promise.all([waitReady(one), waitReady(two)]);
    const admin = new Redis(redis.url);
    try {
      // Both replicas recorded their members again, in a Redis that had lost them.
      await eventually(async () => expect(await admin.hlen(`chat:{${room}}:members`)).toBe(4), 10_000);
    } finally {
      admin.disconnect();
    }

    const late = await join(two, 'late', room);
    expect(late.welcome.members.map((m: any) => m.name).sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'late']);
    for (const m of members) await m.client.next('join', (f) => f.member.id === late.welcome.you.id);
    for (const m of [...members, late]) expectNoJoinForAListedMember(m);
  }, 40_000);
});
