import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import { parseConfig, type Config } from '../src/config/config.ts';
import { createLogger } from '../src/server/logger.ts';
import { startReplica, type Replica } from '../src/node/replica.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';
import { TestClient } from './support/test-client.ts';
import { eventually } from './support/eventually.ts';
import { sleep } from './support/client-sockets.ts';

interface Node {
  replica: Replica;
  broker: RedisBroker;
  ws(room: string, name: string): string;
}

async function startNode(redisUrl: string, instance: string, brokerOverrides: Partial<ConstructorParameters<typeof RedisBroker>[0]> = {}, overrides: Partial<Config> = {}): Promise<Node> {
  const base = parseConfig({}, { instanceId: instance });
  const config: Config = { ...base, port: 0, host: '127.0.0.1', instanceId: instance, logLevel: 'error', rateLimit: 0, ...overrides };
  const log = createLogger(config);
  const broker = new RedisBroker({ url: redisUrl, instance, historySize: 100, log, ...brokerOverrides });
  await eventually(() => expect(broker.isReady()).toBe(true));
  const replica = await startReplica({ config, broker, presence: broker, log });
  return { replica, broker, ws: (room, name) => `ws://127.0.0.1:${replica.port}/ws/${room}?name=${name}` };
}

/** The subscriber connection's local port: CLIENT KILL ADDR cuts this one connection. */
function subscriberAddr(node: Node): string {
  const sub = (node.broker as any).connections.subscriber;
  return `127.0.0.1:${sub.stream.localPort}`;
}

describe.runIf(redisAvailable())('presence over real Redis, in-process replicas: lists agree and heal after cuts, failed leaves, lapsed liveness and a frozen Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  const nodes: Node[] = [];
  const clients: TestClient[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const n of nodes.splice(0)) await n.replica.close();
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  async function join(node: Node, room: string, name: string) {
    const joined = await TestClient.join(node.ws(room, name));
    clients.push(joined.client);
    return joined;
  }
  async function welcomeNames(node: Node, room: string): Promise<string[]> {
    const { client, welcome } = await TestClient.join(node.ws(room, 'probe'));
    client.close();
    await client.closed;
    return welcome.members.map((m: { name: string }) => m.name).filter((n: string) => n !== 'probe').sort();
  }
  async function brokerNames(room: string): Promise<string[]> {
    const all = await admin.hgetall(`chat:{${room}}:members`);
    return Object.values(all).map((j) => JSON.parse(j).name).filter((n: string) => n !== 'probe').sort();
  }

  it('keeps agreeing when one replica’s subscriber is cut again and again while the other churns', async () => {
    const a = await startNode(redis.url, 'node-a');
    const b = await startNode(redis.url, 'node-b');
    nodes.push(a, b);
    const room = 'subcut';
    await join(a, room, 'anchor-a');
    expect(await welcomeNames(a, room)).toEqual(['anchor-a']);
    const churners: TestClient[] = [];
    let stop = false;
    const churn = (async () => {
      let i = 0;
      while (!stop) {
        const { client } = await TestClient.join(b.ws(room, `b${i++}`));
        churners.push(client);
        clients.push(client);
        if (churners.length > 5) churners.splice(Math.floor(Math.random() * churners.length), 1)[0]!.close();
        await sleep(5);
      }
    })();
    for (let k = 0; k < 6; k++) {
      await admin.client('KILL', 'ADDR', subscriberAddr(a)).catch(() => {});
      await sleep(150);
      // A welcome on A while its subscriber is away or just back: the roster is read mid-gap.
      await welcomeNames(a, room).catch(() => {});
      await sleep(150);
    }
    stop = true;
    await churn;
    await sleep(500);
    const truth = await eventually(async () => {
      const t = await brokerNames(room);
      await sleep(300);
      expect(await brokerNames(room)).toEqual(t);
      return t;
    }, 10_000);
    expect(await welcomeNames(b, room)).toEqual(truth);
    expect(await welcomeNames(a, room)).toEqual(truth);
  }, 60_000);

  it('forgets a member whose leave failed while its replica’s subscriber was away, once the replica no longer holds the room', async () => {
    const a = await startNode(redis.url, 'node-a', { heartbeatMs: 300, livenessTtlMs: 1000 });
    const b = await startNode(redis.url, 'node-b', { heartbeatMs: 300, livenessTtlMs: 1000 });
    nodes.push(a, b);
    const room = 'failedleave';
    const x = await join(a, room, 'x');
    await join(b, room, 'y');
    expect(await welcomeNames(b, room)).toEqual(['x', 'y']);
    await admin.client('KILL', 'ADDR', subscriberAddr(a));
    // x leaves while a's subscriber reconnects: a's only member in the room.
    x.client.close();
    await sleep(3000);
    expect(await brokerNames(room)).toEqual(['y']);
    expect(await welcomeNames(b, room)).toEqual(['y']);
  }, 30_000);

  it('lists again the members of a replica whose liveness key lapsed while it stayed connected (a long pause)', async () => {
    const a = await startNode(redis.url, 'node-a', { heartbeatMs: 300, livenessTtlMs: 1000 });
    const b = await startNode(redis.url, 'node-b', { heartbeatMs: 300, livenessTtlMs: 1000 });
    nodes.push(a, b);
    const room = 'lapsed';
    await join(a, room, 'x');
    const y = await join(b, room, 'y');
    // What a pause of node-a longer than its liveness TTL leaves: its key gone, its connections up.
    const [key] = await admin.keys('chat:instance:node-a:*');
    while (!y.client.received.some((f) => f.type === 'leave')) {
      await admin.del(key!);
      await (b.broker as any).presence.beat();
      await sleep(20);
    }
    await sleep(2000);
    expect(await brokerNames(room)).toEqual(['x', 'y']);
    expect(await welcomeNames(b, room)).toEqual(['x', 'y']);
  }, 30_000);

  it('answers every publish sent while Redis was frozen past the command timeout, and works after it thaws', async () => {
    const a = await startNode(redis.url, 'node-a');
    const b = await startNode(redis.url, 'node-b');
    nodes.push(a, b);
    const room = 'frozen';
    const s = await join(a, room, 's');
    const r = await join(b, room, 'r');
    const proc = (redis as any).process;
    proc.kill('SIGSTOP');
    try {
      for (let i = 0; i < 30; i++) s.client.send({ type: 'message', text: `frozen ${i}`, ref: `f${i}` });
      await sleep(6500);
    } finally {
      proc.kill('SIGCONT');
    }
    // Every frozen publish is answered: an ack (it reached Redis after all) or an unavailable error.
    await eventually(() => {
      const answered = s.client.received.filter((f) => (f.type === 'ack' || f.type === 'error') && f.ref?.startsWith('f'));
      expect(answered.length).toBe(30);
    }, 15_000);
    for (let i = 0; i < 20; i++) s.client.send({ type: 'message', text: `thawed ${i}`, ref: `t${i}` });
    await eventually(() => expect(s.client.received.filter((f) => f.type === 'ack' && f.ref?.startsWith('t')).length).toBe(20), 10_000);
    // Counted by text: frozen ones Redis ran after the thaw (their sender was told `unavailable`) may still be arriving.
    const thawed = () => r.client.received.filter((f) => f.type === 'message' && f.text.startsWith('thawed ')).map((f) => f.text);
    await eventually(() => expect(thawed()).toEqual(Array.from({ length: 20 }, (_, i) => `thawed ${i}`)), 10_000);
    // A newcomer with since= the first thawed id recovers the rest from history (MULTI path).
    const acks = s.client.received.filter((f) => f.type === 'ack' && f.ref?.startsWith('t'));
    const { client, welcome, backlog } = await TestClient.join(`${a.ws(room, 'late')}&since=${acks[0].id}`);
    clients.push(client);
    expect(welcome.recovered).toBe(true);
    expect(backlog.map((m) => m.text)).toEqual(Array.from({ length: 19 }, (_, i) => `thawed ${i + 1}`));
    expect(s.client.closedAt).toBeUndefined();
  }, 60_000);
});
