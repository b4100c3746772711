import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomKeys } from '../src/broker/redis-keys.ts';
import { compareIdText } from '../src/protocol/index.ts';
import { eventually } from './support/eventually.ts';
import { RedisCluster, redisClusterAvailable } from './support/redis-cluster.ts';
import { ReconnectingMember } from './support/reconnecting-member.ts';
import { startReplicaProcess, waitReady, type ReplicaProcess } from './support/replica-processes.ts';

const ROOM = 'reshard-busy';

describe.runIf(redisClusterAvailable())('a busy room’s slot moving to another master', () => {
  let cluster: RedisCluster;
  const replicas: ReplicaProcess[] = [];
  const members: ReconnectingMember[] = [];

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, RATE_LIMIT: '0' };
    replicas.push(await startReplicaProcess('reshard-1', env), await startReplicaProcess('reshard-2', env));
    await Promise.all(replicas.map((r) => waitReady(r, 200, 20_000)));
  }, 120_000);
  afterAll(async () => {
    for (const m of members) m.stop();
    await Promise.all(replicas.map((r) => r.service.stop()));
    await cluster?.stop();
  });

  it('loses nothing and doubles nothing, and the replicas follow the room to its new master', async () => {
    const [one, two] = replicas as [ReplicaProcess, ReplicaProcess];
    const base = (r: ReplicaProcess) => `ws://127.0.0.1:${r.port}`;
    members.push(new ReconnectingMember(base(one), ROOM, 'm1'), new ReconnectingMember(base(two), ROOM, 'm2'), new ReconnectingMember(base(one), ROOM, 'm3'));
    await Promise.all(members.map((m) => m.start()));
    const channel = roomKeys(ROOM).channel;
    const shardSubscribers = async (port: number) => Number(((await cluster.admin(port).call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1]);
    const from = await cluster.masterForKey(channel);
    const to = (await cluster.masters()).find((p) => p !== from)!;
    expect(await shardSubscribers(from)).toBe(2);

    const sending = setInterval(() => members.forEach((m) => m.say()), 50);
    try {
      await eventually(() => expect(Math.min(...members.map((m) => m.acked.size))).toBeGreaterThan(10), 10_000);
      await cluster.moveSlot(channel, to);
      expect(await cluster.masterForKey(channel)).toBe(to);
      // Redis ended the shard subscriptions on the old master; ioredis subscribes again on the new one.
      await eventually(async () => expect([await shardSubscribers(from), await shardSubscribers(to)]).toEqual([0, 2]), 15_000);
      const movedAt = new Map(members.map((m) => [m, m.acked.size]));
      await eventually(() => {
        for (const m of members) expect(m.acked.size, m.describe()).toBeGreaterThan(movedAt.get(m)! + 10);
      }, 15_000);
    } finally {
      clearInterval(sending);
    }
    await eventually(() => expect(members.map((m) => m.pending)).toEqual([0, 0, 0]), 15_000);
    // Each replica read the room's log on its new master for what came while its subscription moved.
    for (const r of replicas) expect(r.service.logs).toMatch(/"rooms":1,"msg":"resubscribed after reconnecting to Redis"/);
    const acked = members.flatMap((m) => [...m.acked.values()].map((id) => ({ id, by: m })));
    await eventually(() => {
      for (const m of members) {
        const missing = acked.filter((a) => a.by !== m && !m.received.includes(a.id)).map((a) => a.id);
        expect(missing, `${m.name} missed these`).toEqual([]);
      }
    }, 10_000);
    for (const m of members) {
      expect(new Set(m.received).size, `${m.name} got a message twice`).toBe(m.received.length);
      expect([...m.received].sort(compareIdText), `${m.name}'s order`).toEqual(m.received);
      expect(m.ackMismatches).toEqual([]);
      expect([m.unrecovered, m.closeCodes], `${m.name} was reset`).toEqual([0, []]);
    }
  }, 90_000);
});
