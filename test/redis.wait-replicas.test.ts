import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberInfo } from '../src/protocol/index.ts';
import type { Logger } from '../src/logger.ts';
import { RedisBroker } from '../src/broker/redis.ts';
import type { RedisTarget } from '../src/broker/redis-connection.ts';
import { roomKeys } from '../src/broker/redis-keys.ts';
import { ConfigError, parseConfig } from '../src/config/config.ts';
import { eventually } from './support/eventually.ts';
import { RedisCluster, redisClusterAvailable } from './support/redis-cluster.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';
import { quietLog } from './support/room-world.ts';

/** REDIS_WAIT_TIMEOUT_MS in these tests: long enough to tell a held ack from one that came at once. */
const TIMEOUT_MS = 1500;
const ADMIN = 'admin';
const ADMIN_PASSWORD = 'admin-Secret-0c3e';
const CHAT_PASSWORD = 'chat-Secret-91d2';
const alice: MemberInfo = { id: 'c_alice', name: 'alice' };

/** The replica that must have a room's messages, as a test reads and stops it. */
interface RoomReplica {
  /** A connection that reads the replica's copy of the room. */
  readonly read: Redis;
  /** SIGSTOP: it keeps its connections and acknowledges nothing. */
  pause(): void;
  resume(): void;
}

/** Where the tests run: one Redis with a replica, or a cluster (a replica per master). */
interface WaitBackend {
  /** A broker over it with REDIS_WAIT_REPLICAS=`replicas`; its warnings go to `warnings`. */
  broker(replicas: number, warnings: object[]): Promise<RedisBroker>;
  /** The connection that reads the room's master. */
  master(room: string): Promise<Redis>;
  replica(room: string): Promise<RoomReplica>;
}

function capturing(warnings: object[]): Logger {
  return { ...quietLog, warn: (context, message) => warnings.push({ ...context, message }) };
}

async function readyBroker(url: RedisTarget, replicas: number, warnings: object[]): Promise<RedisBroker> {
  const broker = new RedisBroker({ url, instance: `wait-${replicas}-${Date.now()}`, historySize: 100, log: capturing(warnings), waitReplicas: replicas, waitTimeoutMs: TIMEOUT_MS });
  await eventually(() => expect(broker.isReady()).toBe(true), 15_000);
  return broker;
}

async function logged(read: Redis, room: string, id: string): Promise<number> {
  return (await read.xrange(roomKeys(room).log, id, id)).length;
}

/** The cases, over rooms whose masters are each of the backend's masters. */
function waitCases(setup: () => { backend: WaitBackend; rooms: string[] }): void {
  const brokers: RedisBroker[] = [];
  const warnings: object[] = [];
  afterAll(async () => {
    await Promise.all(brokers.map((b) => b.close()));
  });
  const broker = async (replicas: number) => {
    const made = await setup().backend.broker(replicas, warnings);
    brokers.push(made);
    return made;
  };

  it('acks a message only once the room master’s replica has it', async () => {
    const { backend, rooms } = setup();
    const waiting = await broker(1);
    for (const room of rooms) {
      const replica = await backend.replica(room);
      const first = await waiting.publish({ room, from: alice, text: 'first' });
      // Read as the ack arrives: the replica already holds it.
      expect(await logged(replica.read, room, first.id), room).toBe(1);

      replica.pause();
      let settled = false;
      const startedAt = Date.now();
      const held = waiting.publish({ room, from: alice, text: 'held' }).finally(() => (settled = true));
      try {
        await new Promise((r) => setTimeout(r, 400));
        // WAIT sent anywhere but through the room's master would have answered by now.
        expect(settled, `${room}: acked while its replica was stopped`).toBe(false);
      } finally {
        replica.resume();
      }
      const second = await held;
      expect(Date.now() - startedAt, room).toBeLessThan(TIMEOUT_MS);
      expect(await logged(replica.read, room, second.id), room).toBe(1);
    }
    expect(warnings).toEqual([]);
  });

  it('acks after REDIS_WAIT_TIMEOUT_MS when the replica does not answer, and logs that it did', async () => {
    const { backend, rooms } = setup();
    const room = rooms[0]!;
    const [waiting, plain] = [await broker(1), await broker(0)];
    const replica = await backend.replica(room);
    replica.pause();
    try {
      let startedAt = Date.now();
      // Without REDIS_WAIT_REPLICAS the stopped replica holds nothing up.
      await plain.publish({ room, from: alice, text: 'not waited for' });
      expect(Date.now() - startedAt).toBeLessThan(TIMEOUT_MS / 2);

      startedAt = Date.now();
      const late = await waiting.publish({ room, from: alice, text: 'unreplicated', ref: 'late-ref' });
      const tookMs = Date.now() - startedAt;
      expect(tookMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(tookMs).toBeLessThan(TIMEOUT_MS + 1000);
      // Acked: the master holds it (and its subscribers got it); the log line says it was not replicated.
      expect(await logged(await backend.master(room), room, late.id)).toBe(1);
      expect(warnings).toEqual([expect.objectContaining({ room, replicas: 0, wanted: 1, message: expect.stringMatching(/WAIT timed out/) })]);
      warnings.length = 0;

      // The same ref again is the first message, and its ack waits as the first one's did.
      startedAt = Date.now();
      expect(await waiting.publish({ room, from: alice, text: 'again', ref: 'late-ref' })).toEqual({ ...late, duplicate: true });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(warnings).toHaveLength(1);
      warnings.length = 0;
    } finally {
      replica.resume();
    }
    await eventually(async () => expect(await logged(replica.read, room, (await waiting.publish({ room, from: alice, text: 'after' })).id)).toBe(1), 10_000);
  });
}

describe('REDIS_WAIT_REPLICAS and REDIS_WAIT_TIMEOUT_MS', () => {
  const redis = { REDIS_URL: 'redis://127.0.0.1:6390' };

  it('default to no wait and a second, and are read as whole numbers', () => {
    expect(parseConfig(redis, { instanceId: 'x' })).toMatchObject({ redisWaitReplicas: 0, redisWaitTimeoutMs: 1000 });
    expect(parseConfig({ ...redis, REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '250' }, { instanceId: 'x' })).toMatchObject({ redisWaitReplicas: 1, redisWaitTimeoutMs: 250 });
  });

  it('are refused with one line naming them', () => {
    const refused = (env: Record<string, string>) => () => parseConfig(env, { instanceId: 'x' });
    expect(refused({ ...redis, REDIS_WAIT_REPLICAS: '-1' })).toThrow(new ConfigError('REDIS_WAIT_REPLICAS="-1" is not valid: expected a whole number from 0 to 100'));
    // 0 would make WAIT block for ever; past 4 s the command itself times out.
    expect(refused({ ...redis, REDIS_WAIT_TIMEOUT_MS: '0' })).toThrow(/^REDIS_WAIT_TIMEOUT_MS="0" is not valid: expected a whole number from 1 to 4000$/);
    expect(refused({ ...redis, REDIS_WAIT_TIMEOUT_MS: '5000' })).toThrow(/from 1 to 4000/);
    expect(refused({ REDIS_WAIT_REPLICAS: '1' })).toThrow(/^REDIS_WAIT_REPLICAS=1 is not valid without REDIS_URL or REDIS_CLUSTER_NODES/);
  });
});

describe.runIf(redisAvailable())('REDIS_WAIT_REPLICAS=1 on one Redis with a replica', () => {
  let master: RedisServer;
  let replicaServer: RedisServer;
  let replicaPid = 0;
  let replicaRead: Redis;
  const clients: Redis[] = [];

  beforeAll(async () => {
    // The chat user exactly as deploy/redis-acl.template has it: WAIT must be allowed.
    const chatUser = readFileSync(new URL('../deploy/redis-acl.template', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('user '))
      .map((l) => l.replaceAll('${REDIS_USER}', 'chat').replaceAll('${REDIS_PASSWORD}', CHAT_PASSWORD));
    master = await RedisServer.start({ config: [`user ${ADMIN} on >${ADMIN_PASSWORD} ~* &* +@all`, ...chatUser] });
    replicaServer = await RedisServer.start({ config: [`replicaof 127.0.0.1 ${master.port}`, `masteruser ${ADMIN}`, `masterauth ${ADMIN_PASSWORD}`] });
    replicaRead = new Redis(replicaServer.url);
    clients.push(replicaRead);
    await eventually(async () => expect(String(await replicaRead.info('replication'))).toMatch(/master_link_status:up/), 10_000);
    replicaPid = Number(/process_id:(\d+)/.exec(String(await replicaRead.info('server')))![1]);
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await replicaServer?.stop();
    await master?.stop();
  });

  waitCases(() => ({
    rooms: ['wait-single'],
    backend: {
      broker: (replicas, warnings) => readyBroker(`redis://chat:${CHAT_PASSWORD}@127.0.0.1:${master.port}`, replicas, warnings),
      master: async () => {
        const read = new Redis({ port: master.port, username: ADMIN, password: ADMIN_PASSWORD });
        clients.push(read);
        return read;
      },
      replica: async () => ({
        read: replicaRead,
        pause: () => process.kill(replicaPid, 'SIGSTOP'),
        resume: () => process.kill(replicaPid, 'SIGCONT'),
      }),
    },
  }));
});

describe.runIf(redisClusterAvailable())('REDIS_WAIT_REPLICAS=1 on a Redis Cluster', () => {
  let cluster: RedisCluster;
  const rooms: string[] = [];

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    // A room on each master: a WAIT sent to another master than the room's is caught.
    const masters = new Set<number>();
    for (let n = 0; masters.size < 3; n++) {
      const room = `wait-cluster-${n}`;
      const master = await cluster.masterForKey(roomKeys(room).log);
      if (masters.has(master)) continue;
      masters.add(master);
      rooms.push(room);
    }
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  waitCases(() => ({
    rooms,
    backend: {
      broker: (replicas, warnings) => readyBroker(parseConfig({ REDIS_CLUSTER_NODES: cluster.nodesEnv }, { instanceId: 'wait' }).redisCluster!, replicas, warnings),
      master: async (room) => cluster.admin(await cluster.masterForKey(roomKeys(room).log)),
      replica: async (room) => {
        const [port] = await cluster.replicasForKey(roomKeys(room).log);
        if (port === undefined) throw new Error(`the master of ${room} has no replica`);
        const read = cluster.admin(port);
        // A cluster replica answers reads of its master's slots only after READONLY.
        await read.call('READONLY');
        return { read, pause: () => cluster.pause(port), resume: () => cluster.resume(port) };
      },
    },
  }));
});
