import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomKeys } from '../src/broker/redis-keys.ts';
import { compareIdText } from '../src/protocol/index.ts';
import { RedisCluster, redisClusterAvailable } from './support/redis-cluster.ts';
import { startReplicaProcess, waitReady, type ReplicaProcess } from './support/replica-processes.ts';
import { TestClient } from './support/test-client.ts';

/** Rooms named `<prefix>-<n>`, one on each master, with the master that holds it. */
async function roomOnEveryMaster(cluster: RedisCluster, prefix: string): Promise<Array<{ room: string; master: number }>> {
  const byMaster = new Map<number, string>();
  const masters = await cluster.masters();
  for (let n = 0; byMaster.size < masters.length; n++) {
    const room = `${prefix}-${n}`;
    const master = await cluster.masterForKey(roomKeys(room).channel);
    if (!byMaster.has(master)) byMaster.set(master, room);
  }
  return [...byMaster].map(([master, room]) => ({ room, master }));
}

/** Per master: how often SPUBLISH and PUBLISH ran there, scripts' calls included (INFO commandstats). */
async function publishCalls(cluster: RedisCluster): Promise<Map<number, { spublish: number; publish: number }>> {
  const calls = new Map<number, { spublish: number; publish: number }>();
  for (const port of await cluster.masters()) {
    const stats = String(await cluster.admin(port).info('commandstats'));
    const count = (command: string) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
    calls.set(port, { spublish: count('spublish'), publish: count('publish') });
  }
  return calls;
}

const messageIds = (client: TestClient) => client.received.filter((f) => f.type === 'message').map((f) => f.id as string);

describe.runIf(redisClusterAvailable())('two replicas over a Redis Cluster', () => {
  let cluster: RedisCluster;
  const replicas: ReplicaProcess[] = [];
  const clients: TestClient[] = [];
  let rooms: Array<{ room: string; master: number }>;
  const join = async (replica: ReplicaProcess, room: string, query: Record<string, string>) => {
    const joined = await TestClient.join(replica.wsUrl(room, query));
    clients.push(joined.client);
    return joined;
  };
  const one = () => replicas[0]!;
  const two = () => replicas[1]!;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, RATE_LIMIT: '0' };
    replicas.push(await startReplicaProcess('cluster-1', env), await startReplicaProcess('cluster-2', env));
    await Promise.all(replicas.map((r) => waitReady(r, 200, 20_000)));
    rooms = await roomOnEveryMaster(cluster, 'spread');
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(replicas.map((r) => r.service.stop()));
    await cluster?.stop();
  });

  it('chats in rooms on all three masters, in one order per room, and recovers with since', async () => {
    expect(new Set(rooms.map((r) => r.master)).size).toBe(3);
    for (const { room } of rooms) {
      const alice = await join(one(), room, { name: 'alice' });
      const bob = await join(two(), room, { name: 'bob' });
      // Listeners on both replicas, who send nothing: a sender is acked, not sent its own message.
      const heardOnOne = await join(one(), room, { name: 'ear-1' });
      const heardOnTwo = await join(two(), room, { name: 'ear-2' });
      expect(heardOnTwo.welcome.members.map((m: { name: string }) => m.name).sort()).toEqual(['alice', 'bob', 'ear-1', 'ear-2']);
      // Both send at once, through both replicas: the room's shard gives the one order.
      const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? alice : bob).client.say(`${room} ${i}`)));
      const ids = acks.map((a) => a.id as string).sort(compareIdText);
      await expect.poll(() => messageIds(heardOnOne.client)).toEqual(ids);
      await expect.poll(() => messageIds(heardOnTwo.client)).toEqual(ids);
      await expect.poll(() => messageIds(alice.client)).toEqual(ids.filter((id) => !acks.some((a, i) => i % 2 === 1 && a.id === id)));

      const back = await join(two(), room, { name: 'carol', since: ids[4]! });
      expect(back.welcome).toMatchObject({ recovered: true, backlog: 15 });
      expect(back.backlog.map((m) => m.id)).toEqual(ids.slice(5));
    }
    for (const r of replicas) expect(r.service.logs).not.toMatch(/CROSSSLOT|NOPERM|MOVED|"level":(40|50)/);
  }, 60_000);

  it('sends a room’s messages through the room’s master alone, with SPUBLISH, to subscribers there only', async () => {
    const { room, master } = rooms[0]!;
    const shardSubscribers = new Map<number, number>();
    for (const port of await cluster.masters()) {
      const [, count] = (await cluster.admin(port).call('PUBSUB', 'SHARDNUMSUB', roomKeys(room).channel)) as [string, number];
      shardSubscribers.set(port, Number(count));
    }
    // One sharded subscription per replica, on the room's master; none elsewhere.
    expect(Object.fromEntries(shardSubscribers)).toEqual(Object.fromEntries([...shardSubscribers.keys()].map((p) => [p, p === master ? 2 : 0])));

    const sender = await join(one(), room, { name: 'counted' });
    const before = await publishCalls(cluster);
    for (let i = 0; i < 10; i++) await sender.client.say(`counted ${i}`);
    const after = await publishCalls(cluster);
    for (const [port, calls] of after) {
      const was = before.get(port)!;
      expect({ port, spublish: calls.spublish - was.spublish, publish: calls.publish - was.publish }).toEqual({
        port,
        spublish: port === master ? 10 : 0,
        publish: 0,
      });
    }
  }, 30_000);

  it('removes the members of a SIGKILLed replica from rooms on every master', async () => {
    const doomed = await startReplicaProcess('cluster-doomed', { REDIS_CLUSTER_NODES: cluster.nodesEnv, RATE_LIMIT: '0' });
    replicas.push(doomed);
    await waitReady(doomed, 200, 20_000);
    const watchers = [];
    for (const { room } of rooms) {
      const watcher = await join(one(), room, { name: 'watcher' });
      await join(doomed, room, { name: 'doomed' });
      await watcher.client.next('join', (f) => f.member.name === 'doomed');
      watchers.push(watcher);
    }
    doomed.service.signal('SIGKILL');
    // Its liveness key (15 s) expires, then a survivor's heartbeat (5 s) sweeps every room it holds.
    for (const watcher of watchers) await watcher.client.next('leave', (f) => f.member.name === 'doomed', 40_000);
    for (const { room } of rooms) {
      const late = await join(two(), room, { name: 'late' });
      expect(late.welcome.members.map((m: { name: string }) => m.name)).not.toContain('doomed');
    }
  }, 90_000);
});
