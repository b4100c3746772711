import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../src/broker/memory.ts';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { TestClient } from './support/test-client.ts';

/**
 * Every row of PROTOCOL.md's "Bad input and limits" table, over real sockets.
 * A bystander in the same room must keep chatting through all of it.
 */
let set: ReplicaSet;
let bystander: TestClient;
let bystanderPeer: TestClient;
const clients: TestClient[] = [];

async function connect(room = 'lobby'): Promise<TestClient> {
  const { client } = await TestClient.join(set.wsUrl(0, room, { name: 'tester' }));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  set = await startReplicas(2, { sendBufferLimit: 1024 * 1024 });
  bystander = (await TestClient.join(set.wsUrl(0, 'lobby', { name: 'bystander' }))).client;
  bystanderPeer = (await TestClient.join(set.wsUrl(1, 'lobby', { name: 'peer' }))).client;
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  // The server kept serving: a message from the bystander still crosses replicas.
  const ack = await bystander.say(`still here ${Math.random()}`);
  expect((await bystanderPeer.next('message', (m) => m.id === ack.id)).from.name).toBe('bystander');
  expect(bystander.frames.filter((f) => f.type === 'error')).toEqual([]);
});
afterAll(async () => {
  bystander?.close();
  bystanderPeer?.close();
  await set?.close();
});

describe('answers with bad_request and keeps the connection open', () => {
  it.each([
    ['not JSON', 'hello there', undefined],
    ['not an object', '[1,2,3]', undefined],
    ['an unknown type', '{"type":"shout","ref":"r-type"}', 'r-type'],
    ['a missing field', '{"type":"message","ref":"r-missing"}', 'r-missing'],
    ['a wrong-typed field', '{"type":"message","text":42,"ref":"r-typed"}', 'r-typed'],
    ['an empty text', '{"type":"message","text":"","ref":"r-empty"}', 'r-empty'],
    ['a white-space text', '{"type":"message","text":" \\n\\t ","ref":"r-blank"}', 'r-blank'],
    ['a too long text', JSON.stringify({ type: 'message', text: 'y'.repeat(2001), ref: 'r-long' }), 'r-long'],
    ['a bad ref', JSON.stringify({ type: 'message', text: 'hi', ref: 'z'.repeat(65) }), undefined],
  ])('%s', async (_what, frame, ref) => {
    const client = await connect();
    client.send(frame);
    const error = await client.next('error');
    expect(error).toEqual(ref ? { type: 'error', code: 'bad_request', message: expect.any(String), ref } : { type: 'error', code: 'bad_request', message: expect.any(String) });
    client.send({ type: 'ping' });
    await client.next('pong');
    expect(bystanderPeer.frames.filter((f) => f.type === 'message' && f.from.name === 'tester')).toEqual([]);
  });

  it('a binary frame', async () => {
    const client = await connect();
    client.ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
    expect(await client.next('error')).toMatchObject({ code: 'bad_request' });
    client.send({ type: 'ping' });
    await client.next('pong');
  });
});

describe('limits', () => {
  it('answers rate_limited with the ref past a burst of 40, and drops that message', async () => {
    const client = await connect();
    for (let i = 0; i < 45; i++) client.send({ type: 'message', text: `burst ${i}`, ref: `b${i}` });
    const limited = await client.next('error', (f) => f.code === 'rate_limited');
    expect(limited.ref).toMatch(/^b4[0-4]$/);
    const acks = [];
    for (let i = 0; i < 40; i++) acks.push(await client.next('ack'));
    expect(acks.map((a) => a.ref)).toEqual(Array.from({ length: 40 }, (_, i) => `b${i}`));
    const lastDelivered = await bystanderPeer.next('message', (m) => m.text === 'burst 39');
    expect(lastDelivered.id).toBe(acks[39].id);
    expect(bystanderPeer.frames.some((m) => m.text === `burst ${limited.ref.slice(1)}`)).toBe(false);
  });

  it('closes with 1008 past 100 frames a second', async () => {
    const client = await connect();
    for (let i = 0; i < 150; i++) client.send({ type: 'ping' });
    expect((await client.closed).code).toBe(1008);
  });

  it('answers unavailable with the ref while the broker is unreachable, and still answers ping', async () => {
    const client = await connect();
    set.bus.setAvailable(false);
    try {
      client.send({ type: 'message', text: 'lost?', ref: 'r-down' });
      expect(await client.next('error')).toEqual({ type: 'error', code: 'unavailable', message: expect.any(String), ref: 'r-down' });
      client.send({ type: 'ping' });
      await client.next('pong');
    } finally {
      set.bus.setAvailable(true);
    }
    expect(await client.say('back', 'r-down')).toMatchObject({ type: 'ack', ref: 'r-down' });
  });

  it('allows a frame of exactly 16 KiB and closes with 1009 one byte over', async () => {
    const client = await connect();
    const exact = JSON.stringify({ type: 'ping', pad: '' }).length;
    const frame = JSON.stringify({ type: 'ping', pad: 'p'.repeat(16384 - exact) });
    expect(Buffer.byteLength(frame)).toBe(16384);
    client.send(frame);
    await client.next('pong');
    client.send(JSON.stringify({ type: 'ping', pad: 'p'.repeat(16385 - exact) }));
    expect((await client.closed).code).toBe(1009);
  });

  it('counts the 16 KiB limit on the whole message, after reassembly of fragments', async () => {
    const client = await connect();
    const half = Buffer.alloc(9000, 0x20);
    client.ws.send(half, { binary: false, fin: false });
    client.ws.send(half, { binary: false, fin: true });
    expect((await client.closed).code).toBe(1009);
  });

  it('closes with 1007 a text frame that is not valid UTF-8', async () => {
    const client = await connect();
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await client.closed).code).toBe(1007);
  });

  it('closes with 1013 a client that reads too slowly', async () => {
    const client = await connect('slow');
    client.ws.pause();
    const feeder = new MemoryBroker(set.bus);
    const text = 's'.repeat(2000);
    // Well past the kernel's socket buffers plus the 1 MiB send-buffer limit.
    for (let i = 0; i < 6000 && client.ws.readyState === client.ws.OPEN; i++) {
      await feeder.publish({ room: 'slow', from: { id: 'c_feeder', name: 'feeder' }, text });
      if (i % 200 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    client.ws.resume();
    expect((await client.closed).code).toBe(1013);
  });

  it('closes members with 1012 when the instance shuts down', async () => {
    const own = await startReplicas(1);
    const { client } = await TestClient.join(own.wsUrl(0, 'lobby'));
    await own.close();
    expect((await client.closed).code).toBe(1012);
  });
});
