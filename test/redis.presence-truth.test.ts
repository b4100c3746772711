import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, type RedisServer } from './support/redis-server.ts';
import { startReadyReplica, startRedisPair, waitReady, type RedisPair, type ReplicaProcess } from './support/replica-processes.ts';
import { eventually } from './support/eventually.ts';
import type { TestClient } from './support/test-client.ts';

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

/** Presence over Redis that tells the truth when replicas and Redis die, with real processes. */
describe.runIf(redisAvailable())('presence that tells the truth', () => {
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
