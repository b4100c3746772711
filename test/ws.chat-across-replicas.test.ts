import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../src/broker/memory.ts';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { TestClient } from './support/test-client.ts';

let set: ReplicaSet;
const clients: TestClient[] = [];
async function join(replica: number, room: string, query: Record<string, string> = {}) {
  const joined = await TestClient.join(set.wsUrl(replica, room, query));
  clients.push(joined.client);
  return joined;
}

beforeEach(async () => {
  set = await startReplicas(2, { historySize: 3000 });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await set.close();
});

describe('two replicas on one in-memory broker, over real sockets', () => {
  it('welcomes with the shape docs/protocol.md gives', async () => {
    const { welcome: first } = await join(0, 'lobby', { name: '  alice  ' });
    const { welcome } = await join(1, 'lobby');
    expect(first.you.name).toBe('alice');
    expect(welcome).toEqual({
      type: 'welcome',
      room: 'lobby',
      you: { id: expect.stringMatching(/^c_/), name: expect.stringMatching(/^anon-[a-z]{4}$/) },
      instance: 'node-2',
      members: [first.you, welcome.you],
      memberCount: 2,
      recovered: false,
      backlog: 0,
    });
  });

  it('carries chat both ways across replicas, acking the sender', async () => {
    const { client: alice, welcome: aw } = await join(0, 'lobby', { name: 'alice' });
    const { client: bob, welcome: bw } = await join(1, 'lobby', { name: 'bob' });

    const ack = await alice.say('Hello!', 'r-1');
    expect(ack).toEqual({ type: 'ack', ref: 'r-1', id: expect.stringMatching(/^\d+-\d+$/), ts: expect.any(Number) });
    expect(await bob.next('message')).toEqual({ type: 'message', id: ack.id, room: 'lobby', from: aw.you, text: 'Hello!', ts: ack.ts });

    bob.send({ type: 'message', text: 'Hi <b>alice</b> 😀' });
    const reply = await alice.next('message');
    expect(reply).toMatchObject({ from: bw.you, text: 'Hi <b>alice</b> 😀' });
    const bobAck = await bob.next('ack');
    expect(bobAck).toEqual({ type: 'ack', id: reply.id, ts: reply.ts });
    expect(alice.frames.filter((f) => f.type === 'message')).toEqual([]);
  });

  it('gives a newcomer the recent 50 as its backlog, oldest first, then live messages', async () => {
    const { client: alice } = await join(0, 'lobby', { name: 'alice' });
    const texts: string[] = [];
    for (let i = 0; i < 60; i++) texts.push(`m${i}`);
    await publishAll('lobby', texts);

    const { client: carol, welcome, backlog } = await join(1, 'lobby', { name: 'carol' });
    expect(welcome).toMatchObject({ recovered: false, backlog: 50 });
    expect(backlog.map((m) => m.text)).toEqual(texts.slice(10));
    await alice.say('live');
    expect((await carol.next('message')).text).toBe('live');
  });

  it('recovers everything after since on the other replica, past 50 missed and paced to a reader that pauses', async () => {
    const { client: alice } = await join(0, 'lobby', { name: 'alice' });
    const seen = await alice.say('before');
    alice.close();
    // About 5 MB: more than the kernel's socket buffers and the 1 MiB slow-reader
    // limit together, so only pacing lets a paused reader get it all.
    const texts = Array.from({ length: 2500 }, (_, i) => `${i}:`.padEnd(2000, 'x'));
    await publishAll('lobby', texts);

    const back = await TestClient.connect(set.wsUrl(1, 'lobby', { name: 'alice', since: seen.id }));
    clients.push(back);
    back.ws.pause();
    await new Promise((r) => setTimeout(r, 1500));
    back.ws.resume();
    const welcome = await back.next('welcome');
    expect(welcome).toMatchObject({ recovered: true, backlog: 2500 });
    const backlog = [];
    for (let i = 0; i < 2500; i++) backlog.push((await back.next('message')).text);
    expect(backlog).toEqual(texts);
    expect(back.ws.readyState).toBe(back.ws.OPEN);
  });

  it('answers a garbage since with recovered: false and the recent messages', async () => {
    await publishAll('lobby', ['a', 'b']);
    const { welcome, backlog } = await join(1, 'lobby', { since: 'garbage' });
    expect(welcome).toMatchObject({ recovered: false, backlog: 2 });
    expect(backlog.map((m) => m.text)).toEqual(['a', 'b']);
  });

  it('does not double a ref re-sent through the other replica', async () => {
    const { client: bob } = await join(1, 'lobby', { name: 'bob' });
    const { client: alice } = await join(0, 'lobby', { name: 'alice' });
    const first = await alice.say('once', 'same-ref');
    alice.close();
    const { client: again } = await join(1, 'lobby', { name: 'alice' });
    expect(await again.say('once', 'same-ref')).toEqual(first);
    await again.say('next');
    await bob.next('message', (m) => m.text === 'next');
    expect(bob.received.filter((f) => f.type === 'message').map((m) => m.text)).toEqual(['once', 'next']);
  });
});

/** Publishes as a member on a third replica of the same bus. */
async function publishAll(room: string, texts: string[]): Promise<void> {
  const broker = new MemoryBroker(set.bus);
  for (const text of texts) await broker.publish({ room, from: { id: 'c_feeder', name: 'feeder' }, text });
}
