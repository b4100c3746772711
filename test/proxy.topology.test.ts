import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compareIdText } from '../src/protocol/index.ts';
import { eventually } from './support/eventually.ts';
import { type Nginx, nginxAvailable, startNginx } from './support/nginx.ts';
import { ReconnectingMember } from './support/reconnecting-member.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';
import { type ReplicaProcess, startReadyReplica } from './support/replica-processes.ts';
import { TestClient } from './support/test-client.ts';

/**
 * The compose topology as real processes: redis-server, three replicas and
 * Debian's nginx running deploy/nginx.conf, every client through nginx.
 */
const run = redisAvailable() && nginxAvailable();

describe.runIf(run)('three replicas behind nginx, with Redis between them', () => {
  let redis: RedisServer;
  let nginx: Nginx;
  const replicas: ReplicaProcess[] = [];
  /** Replicas that were stopped on purpose: stopped for good (and their logs forgotten) only at the end. */
  const retired: ReplicaProcess[] = [];
  const members: ReconnectingMember[] = [];
  const clients: TestClient[] = [];
  let rooms = 0;
  const freshRoom = () => `proxy-${Date.now()}-${rooms++}`;
  const proxyWs = () => `ws://127.0.0.1:${nginx.port}`;

  const startReplica = (name: string, port?: number) => startReadyReplica(name, redis.url, port);

  beforeAll(async () => {
    redis = await RedisServer.start();
    for (const name of ['hub1', 'hub2', 'hub3']) replicas.push(await startReplica(name));
    nginx = await startNginx(replicas.map((r) => r.port));
  }, 60_000);
  afterEach(() => {
    for (const m of members.splice(0)) m.stop();
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await nginx?.stop();
    await Promise.all([...replicas, ...retired].map((r) => r.service.stop()));
    await redis?.stop();
  });

  /** Members that chat until `during` ends: each sends a message every `everyMs`. */
  async function chatThrough(count: number, during: () => Promise<void>, everyMs = 150): Promise<ReconnectingMember[]> {
    const room = freshRoom();
    const group = Array.from({ length: count }, (_, i) => new ReconnectingMember(proxyWs(), room, `m${i}`));
    members.push(...group);
    await Promise.all(group.map((m) => m.start()));
    let chatting = true;
    const talk = (async () => {
      while (chatting) {
        for (const m of group) m.say();
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
    try {
      await during();
    } finally {
      chatting = false;
      await talk;
    }
    // Every message is acked in the end: those caught by a restart are re-sent with their ref.
    await eventually(() => expect(group.filter((m) => m.pending > 0).map((m) => m.describe())).toEqual([]), 20_000);
    return group;
  }

  /**
   * Every message acked to a sender reached every other member exactly once,
   * and nothing else did (a message published twice has a second id, that no
   * ack names); every member saw them in one order, and every reconnect
   * recovered from `since`.
   */
  async function expectEveryAckedMessageOnceInOrder(group: ReconnectingMember[]): Promise<void> {
    const acked = group.flatMap((m) => [...m.acked.values()]);
    expect(new Set(acked).size).toBe(acked.length);
    const known = new Set(acked);
    for (const m of group) {
      const fromOthers = group.filter((o) => o !== m).flatMap((o) => [...o.acked.values()]);
      await eventually(() => expect(fromOthers.filter((id) => !m.received.includes(id))).toEqual([]), 15_000);
      expect(m.received.filter((id) => !known.has(id)), `${m.name} got messages no sender was acked for`).toEqual([]);
      expect(new Set(m.received).size, `${m.name} got a message twice`).toBe(m.received.length);
      expect(new Set(m.receivedTexts).size, `${m.name} got a text twice`).toBe(m.receivedTexts.length);
      expect(m.ackMismatches, `${m.name} had a re-sent ref published again`).toEqual([]);
      expect(m.received, `${m.name} saw another order`).toEqual([...m.received].sort(compareIdText));
      expect(m.unrecovered, `${m.name} reconnected without recovery`).toBe(0);
    }
  }

  it('passes /healthz, /readyz and the page on to a replica, and refuses /metrics, which is per replica', async () => {
    const base = `http://127.0.0.1:${nginx.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    expect(await (await fetch(`${base}/`)).text()).toContain('role="log"');
    const metrics = await fetch(`${base}/metrics`);
    expect([metrics.status, await metrics.json()]).toEqual([404, { error: { code: 'not_found', message: expect.stringMatching(/each replica/) } }]);
    expect((await fetch(replicas[0]!.httpUrl('/metrics'))).status).toBe(200);
  });

  it('lets 30 members in one room chat, each message reaching all the others once, spread over the replicas', async () => {
    const room = freshRoom();
    const joined = [];
    for (let i = 0; i < 30; i++) joined.push(await TestClient.join(`${proxyWs()}/ws/${room}?name=p${i}`));
    clients.push(...joined.map((j) => j.client));
    const instances = new Set(joined.map((j) => j.welcome.instance));
    expect([...instances].sort()).toEqual(['hub1', 'hub2', 'hub3']);

    const acks = await Promise.all(joined.map((j, i) => j.client.say(`hello from p${i}`)));
    for (const [i, { client }] of joined.entries()) {
      const others = acks.filter((_, k) => k !== i).map((a) => a.id);
      await eventually(() => expect(client.received.filter((f) => f.type === 'message')).toHaveLength(29));
      const got = client.received.filter((f) => f.type === 'message').map((f) => f.id);
      expect([...got].sort()).toEqual([...others].sort());
    }
  });

  it('loses and doubles nothing through a rolling restart: each replica in turn gets SIGTERM and is started again', async () => {
    const group = await chatThrough(12, async () => {
      for (const [i, replica] of replicas.entries()) {
        await new Promise((r) => setTimeout(r, 700));
        replica.service.signal('SIGTERM');
        expect((await replica.service.exited).code).toBe(0);
        retired.push(replica);
        replicas[i] = await startReplica(replica.name, replica.port);
      }
      await new Promise((r) => setTimeout(r, 700));
    });
    expect(group.flatMap((m) => m.closeCodes)).toContain(1012);
    expect(group.some((m) => m.instances.size > 1)).toBe(true);
    // nginx passed every reconnect on to a replica that was up: none was refused.
    expect(group.flatMap((m) => m.refusals)).toEqual([]);
    await expectEveryAckedMessageOnceInOrder(group);
  }, 90_000);

  it('loses no acked message when a replica is killed with SIGKILL mid-chat', async () => {
    const victim = 1;
    const group = await chatThrough(12, async () => {
      await new Promise((r) => setTimeout(r, 1000));
      replicas[victim]!.service.child.kill('SIGKILL');
      await replicas[victim]!.service.exited;
      await new Promise((r) => setTimeout(r, 2000));
    });
    expect(group.flatMap((m) => m.closeCodes)).toContain(1006);
    expect(group.flatMap((m) => m.refusals)).toEqual([]);
    await expectEveryAckedMessageOnceInOrder(group);
    const killed = replicas[victim]!;
    retired.push(killed);
    replicas[victim] = await startReplica(killed.name, killed.port);
  }, 90_000);
});
