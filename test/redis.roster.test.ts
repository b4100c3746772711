import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from './support/redis-server.ts';
import { startRedisPair, startReplicaProcess, waitReady, type RedisPair, type ReplicaProcess } from './support/replica-processes.ts';
import { TestClient } from './support/test-client.ts';
import { eventually } from './support/eventually.ts';

const API_KEY = 'roster-test-key-'.repeat(2);

/**
 * Each replica answers welcomes from a member list it keeps from presence
 * events; the broker's list (the members hash, read through the API) is the
 * truth it must keep agreeing with.
 */
describe.runIf(redisAvailable())('the member list a replica keeps from presence events', () => {
  let pair: RedisPair;

  beforeAll(async () => {
    pair = await startRedisPair({ API_KEY, RATE_LIMIT: '0' });
  }, 30_000);
  afterAll(async () => {
    await pair?.close();
  });

  /** Names in the room, as the broker has them. */
  async function brokerNames(replica: ReplicaProcess, room: string): Promise<string[]> {
    const res = await fetch(replica.httpUrl(`/api/rooms/${room}/members`), { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { members: { name: string }[] };
    return body.members.map((m) => m.name).sort();
  }

  /** Names a newcomer's welcome lists, itself left out; the newcomer leaves at once. */
  async function welcomeNames(replica: ReplicaProcess, room: string): Promise<string[]> {
    const { client, welcome } = await TestClient.join(replica.wsUrl(room, { name: 'newcomer' }));
    client.close();
    await client.closed;
    expect(welcome.memberCount).toBe(welcome.members.length);
    return welcome.members.map((m: { name: string }) => m.name).filter((n: string) => n !== 'newcomer').sort();
  }

  /** Waits until the broker lists exactly `names` (leaves are asynchronous), then checks every replica's welcome. */
  async function expectEveryoneAgrees(room: string, names: string[], replicas: ReplicaProcess[]): Promise<void> {
    const expected = [...names].sort();
    await eventually(async () => expect(await brokerNames(replicas[0]!, room)).toEqual(expected), 30_000);
    for (const replica of replicas) expect(await welcomeNames(replica, room), `welcome on ${replica.name}`).toEqual(expected);
  }

  it('agrees with the broker after joins and leaves on both replicas', async () => {
    const members = [];
    for (let i = 0; i < 20; i++) members.push(await pair.join(i % 2 ? pair.two : pair.one, `m${i}`, 'roster-churn'));
    for (const gone of members.filter((_, i) => i % 3 === 0)) gone.client.close();
    const staying = members.filter((_, i) => i % 3 !== 0).map((m) => m.welcome.you.name);
    await expectEveryoneAgrees('roster-churn', staying, [pair.one, pair.two]);
    // The last to join lists everyone before it, on its own replica and the other's.
    const last = members.at(-1)!;
    expect(last.welcome.members.map((m: { name: string }) => m.name).sort()).toEqual(members.map((m) => m.welcome.you.name).sort());
  });

  it('agrees with the broker after a replica is killed and its members are swept', async () => {
    const doomed = await startReplicaProcess('node-doomed', { REDIS_URL: pair.redis.url, RATE_LIMIT: '0' });
    try {
      await waitReady(doomed);
      const survivors = [await pair.join(pair.one, 'stays-1', 'roster-death'), await pair.join(pair.two, 'stays-2', 'roster-death')];
      for (let i = 0; i < 5; i++) await TestClient.join(doomed.wsUrl('roster-death', { name: `doomed-${i}` }));
      await expectEveryoneAgrees('roster-death', ['stays-1', 'stays-2', 'doomed-0', 'doomed-1', 'doomed-2', 'doomed-3', 'doomed-4'], [pair.one, pair.two]);
      doomed.service.signal('SIGKILL');
      // The survivors' members hear the sweep's leaves; the replicas' lists follow the same events.
      await survivors[0]!.client.next('leave', (f) => f.member.name === 'doomed-4', 40_000);
      await expectEveryoneAgrees('roster-death', ['stays-1', 'stays-2'], [pair.one, pair.two]);
    } finally {
      await doomed.service.stop();
    }
  }, 60_000);

  it('agrees with the broker after Redis restarts empty, whichever replica records its members again first', async () => {
    const room = 'roster-restart';
    const names: string[] = [];
    for (let i = 0; i < 20; i++) {
      const joined = await pair.join(i < 10 ? pair.one : pair.two, `r${i}`, room);
      names.push(joined.welcome.you.name);
    }
    // node-2 is frozen while Redis restarts empty, so node-1 reads its list
    // again (a newcomer comes) before node-2 records its members again.
    pair.two.service.signal('SIGSTOP');
    try {
      await pair.redis.kill();
      await pair.redis.restart();
      await pair.one.service.waitFor(/resubscribed after reconnecting/, 15_000);
      const early = await welcomeNames(pair.one, room);
      expect(early).toEqual(names.slice(0, 10).sort());
    } finally {
      pair.two.service.signal('SIGCONT');
    }
    await waitReady(pair.two);
    await expectEveryoneAgrees(room, names, [pair.one, pair.two]);
  }, 60_000);
});
