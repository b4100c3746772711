import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denoAvailable, startDenoProcess } from './support/deno-process.ts';
import { eventually } from './support/eventually.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';
import { type ReplicaProcess, startReplicaProcess, waitReady } from './support/replica-processes.ts';
import type { ServiceProcess } from './support/service-process.ts';
import { TestClient } from './support/test-client.ts';
import { RedisBroker } from '../src/broker/redis.ts';
import { quietLog } from './support/room-world.ts';

/** A Node replica and a Deno replica (ioredis under Deno's Node compatibility) on one redis-server of the test's own. */
const run = redisAvailable() && denoAvailable();

describe.runIf(run)('a Node replica and a Deno replica sharing Redis', () => {
  let redis: RedisServer;
  let node: ReplicaProcess;
  let deno: { port: number; process: ServiceProcess };
  const clients: TestClient[] = [];
  let rooms = 0;
  const freshRoom = () => `mixed-${Date.now()}-${rooms++}`;
  const url = (port: number, room: string, query: Record<string, string>) => `ws://127.0.0.1:${port}/ws/${room}?${new URLSearchParams(query)}`;
  async function join(port: number, room: string, query: Record<string, string>) {
    const joined = await TestClient.join(url(port, room, query));
    clients.push(joined.client);
    return joined;
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    node = await startReplicaProcess('node-1', { REDIS_URL: redis.url });
    deno = await startDenoProcess('deno-1', { REDIS_URL: redis.url });
    await waitReady(node);
    await eventually(async () => expect((await fetch(`http://127.0.0.1:${deno.port}/readyz`)).status).toBe(200), 10_000);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await deno?.process.stop();
    await node?.service.stop();
    await redis?.stop();
  });

  it('lets members on each chat with each other, and lists them all', async () => {
    const room = freshRoom();
    const { client: alice, welcome: aw } = await join(node.port, room, { name: 'alice' });
    const { client: bob, welcome: bw } = await join(deno.port, room, { name: 'bob' });
    expect(bw.instance).toBe('deno-1');
    expect(bw.members).toEqual(expect.arrayContaining([aw.you, bw.you]));
    expect(await alice.next('join')).toEqual({ type: 'join', member: bw.you });

    const fromAlice = await alice.say('hello from Node');
    expect(await bob.next('message')).toMatchObject({ id: fromAlice.id, from: aw.you, text: 'hello from Node' });
    const fromBob = await bob.say('hello from Deno');
    expect(await alice.next('message')).toMatchObject({ id: fromBob.id, from: bw.you, text: 'hello from Deno' });
  });

  it('gives members on both one order when several on each send at once', async () => {
    const room = freshRoom();
    const senders = [];
    for (const [i, port] of [node.port, deno.port, node.port, deno.port].entries()) senders.push((await join(port, room, { name: `s${i}` })).client);
    const { client: onNode } = await join(node.port, room, { name: 'watcher-node' });
    const { client: onDeno } = await join(deno.port, room, { name: 'watcher-deno' });
    for (let i = 0; i < 10; i++) for (const [k, s] of senders.entries()) s.send({ type: 'message', text: `s${k}-${i}` });
    const seen = async (c: TestClient) => {
      const ids = [];
      for (let i = 0; i < 40; i++) ids.push((await c.next('message')).id);
      return ids;
    };
    const [viaNode, viaDeno] = await Promise.all([seen(onNode), seen(onDeno)]);
    expect(viaDeno).toEqual(viaNode);
    expect(new Set(viaNode).size).toBe(40);
  });

  it('recovers with since across runtimes: left on Deno, back on Node, and the other way', async () => {
    const room = freshRoom();
    // Two talkers, each under its burst of 40.
    const { client: talker } = await join(node.port, room, { name: 'talker' });
    const { client: other } = await join(node.port, room, { name: 'other' });
    const { client: away } = await join(deno.port, room, { name: 'away' });
    const last = await talker.say('seen on Deno');
    expect((await away.next('message')).id).toBe(last.id);
    away.close();
    const missed = [];
    for (let i = 0; i < 60; i++) missed.push((await (i % 2 ? other : talker).say(`missed ${i}`)).id);

    const { welcome, backlog } = await join(node.port, room, { name: 'away', since: last.id });
    expect(welcome).toMatchObject({ recovered: true, backlog: 60 });
    expect(backlog.map((m) => m.id)).toEqual(missed);

    const more = [];
    for (let i = 0; i < 3; i++) more.push((await talker.say(`more ${i}`)).id);
    const { welcome: again, backlog: rest } = await join(deno.port, room, { name: 'away', since: missed.at(-1)! });
    expect(again).toMatchObject({ recovered: true, backlog: 3 });
    expect(rest.map((m) => m.id)).toEqual(more);
  });

  it('closes with 1013 a member on Deno that reads too slowly', async () => {
    const room = freshRoom();
    const slow = await TestClient.connect(url(deno.port, room, { name: 'slow' }));
    clients.push(slow);
    await slow.next('welcome');
    slow.ws.pause();
    const feeder = new RedisBroker({ url: redis.url, instance: 'feeder', historySize: 1000, log: quietLog });
    try {
      await eventually(() => expect(feeder.isReady()).toBe(true));
      const text = 's'.repeat(2000);
      // Well past the kernel's socket buffers plus the 1 MiB send-buffer limit.
      for (let i = 0; i < 6000 && slow.ws.readyState === slow.ws.OPEN; i++) {
        await feeder.publish({ room, from: { id: 'c_feeder', name: 'feeder' }, text });
      }
    } finally {
      await feeder.close();
    }
    slow.ws.resume();
    expect((await slow.closed).code).toBe(1013);
  });

  it('on Deno too: unready while Redis is down, unavailable with the ref, and back once it returns (last: Redis comes back empty)', async () => {
    const { client } = await join(deno.port, freshRoom(), { name: 'patient' });
    const ready = async () => (await fetch(`http://127.0.0.1:${deno.port}/readyz`)).status;
    await redis.kill();
    await eventually(async () => expect(await ready()).toBe(503), 10_000);
    client.send({ type: 'message', text: 'lost?', ref: 'r-down' });
    expect(await client.answerTo('r-down')).toMatchObject({ type: 'error', code: 'unavailable', ref: 'r-down' });
    await redis.restart();
    await eventually(async () => expect(await ready()).toBe(200), 15_000);
    expect(await client.say('back', 'r-down')).toMatchObject({ type: 'ack', ref: 'r-down' });
  }, 40_000);
});
