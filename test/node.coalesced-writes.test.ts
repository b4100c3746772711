import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import WebSocket, { WebSocketServer } from 'ws';
import { MemoryBroker } from '../src/broker/memory.ts';
import { NodeMemberSocket } from '../src/node/member-socket.ts';
import { textFrame } from '../src/node/text-frame.ts';
import { WriteCoalescer } from '../src/node/write-coalescer.ts';
import type { MemberSocket } from '../src/room/index.ts';
import { compareIdText } from '../src/protocol/index.ts';
import { redisAvailable } from './support/redis-server.ts';
import { startRedisPair, type RedisPair } from './support/replica-processes.ts';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { TestClient } from './support/test-client.ts';
import { until } from './support/client-sockets.ts';

/*
 * On Node a member's frames of one turn go out in one write
 * (src/node/write-coalescer.ts) and a fan-out's frame is built once for all its
 * members (src/node/text-frame.ts). What members receive, in what order, and
 * when the server closes them must be what it was.
 */

const messagesOf = (client: TestClient) => client.received.filter((f) => f.type === 'message');

describe.runIf(redisAvailable())('a burst through two replica processes and Redis', () => {
  let pair: RedisPair;
  beforeAll(async () => {
    pair = await startRedisPair({ RATE_LIMIT: '0' });
  }, 30_000);
  afterAll(async () => {
    await pair?.close();
  });

  it('reaches every member once and in id order: 500 messages from 10 senders at once, 40 members', async () => {
    const members: Awaited<ReturnType<RedisPair['join']>>[] = [];
    for (let i = 0; i < 40; i++) members.push(await pair.join(i % 2 ? pair.two : pair.one, `m${i}`, 'burst'));
    const senders = members.slice(0, 10);
    for (const [s, sender] of senders.entries()) {
      for (let k = 0; k < 50; k++) sender.client.send({ type: 'message', text: `${s}.${k}` });
    }
    const expected = (i: number) => (i < senders.length ? 450 : 500);
    await until(() => members.every((m, i) => messagesOf(m.client).length >= expected(i)), 'every message at every member', 30_000);

    const order = messagesOf(members.at(-1)!.client).map((f) => f.id);
    expect(order).toHaveLength(500);
    for (let i = 1; i < order.length; i++) expect(compareIdText(order[i - 1], order[i])).toBeLessThan(0);
    for (const [i, m] of members.entries()) {
      const got = messagesOf(m.client);
      expect(got).toHaveLength(expected(i));
      // The room's one order, less the member's own messages.
      expect(got.map((f) => f.id)).toEqual(messagesOf(members.at(-1)!.client).filter((f) => f.from.id !== m.welcome.you.id).map((f) => f.id));
    }
    for (const [s, sender] of senders.entries()) {
      const own = messagesOf(members.at(-1)!.client).filter((f) => f.from.id === sender.welcome.you.id).map((f) => f.text);
      expect(own).toEqual(Array.from({ length: 50 }, (_, k) => `${s}.${k}`));
    }
  }, 60_000);
});

describe('one replica, members on real sockets', () => {
  let set: ReplicaSet;
  let publisher: MemoryBroker;
  const clients: TestClient[] = [];
  async function join(room: string, name: string) {
    const joined = await TestClient.join(set.wsUrl(0, room, { name }));
    clients.push(joined.client);
    return joined;
  }
  /** Publishes `count` messages in this turn, as a Redis reply carrying many would. */
  function publishNow(room: string, count: number, text: (i: number) => string): void {
    for (let i = 0; i < count; i++) void publisher.publish({ room, from: { id: 'c_publisher', name: 'publisher' }, text: text(i) });
  }

  beforeAll(async () => {
    set = await startReplicas(1, { sendBufferLimit: 256 * 1024, historySize: 100 });
    publisher = new MemoryBroker(set.bus);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await publisher?.close();
    await set?.close();
  });

  it('closes with 1013 a member that never reads, past the send-buffer limit, while the others get everything', async () => {
    const slow = await join('slow', 'slow');
    const fine = await join('slow', 'fine');
    await slow.client.next('join');
    slow.client.ws.pause();
    const text = (i: number) => `${i} ${'x'.repeat(1900)}`;
    let sent = 0;
    // Bursts of 20 in one turn each, so what is corked is part of what the limit sees.
    while (!fine.client.received.some((f) => f.type === 'leave') && sent < 40_000) {
      publishNow('slow', 20, (i) => text(sent + i));
      sent += 20;
      await turn();
    }
    expect(await fine.client.next('leave')).toEqual({ type: 'leave', member: slow.welcome.you });
    slow.client.ws.resume();
    expect((await slow.client.closed).code).toBe(1013);

    await until(() => messagesOf(fine.client).length === sent, 'every message at the reader that reads', 30_000);
    expect(messagesOf(fine.client).map((f) => f.text)).toEqual(Array.from({ length: sent }, (_, i) => text(i)));
    expect(await fine.client.closedWithin(100)).toBeNull();
  }, 60_000);

  it('sends the 1008 close after the pongs written in the same turn', async () => {
    const { client } = await join('pings', 'pinger');
    // 150 pings in one go: ws hands the server the first ones in one read, each answered, then 1008.
    for (let i = 0; i < 150; i++) client.send({ type: 'ping' });
    expect((await client.closed).code).toBe(1008);
    // A frame written after the close frame would never be read: every pong came before it.
    const pongs = client.received.filter((f) => f.type === 'pong').length;
    expect(pongs).toBeGreaterThanOrEqual(100);
    expect(pongs).toBeLessThan(150);
  });
});

describe('a replica shutting down in the turn it fans out', () => {
  it('sends each member every message of that turn, then 1012', async () => {
    const set = await startReplicas(1);
    const publisher = new MemoryBroker(set.bus);
    const clients: TestClient[] = [];
    try {
      for (let i = 0; i < 5; i++) clients.push((await TestClient.join(set.wsUrl(0, 'closing', { name: `m${i}` }))).client);
      await until(() => clients[0]!.received.filter((f) => f.type === 'join').length === 4, 'the joins');
      for (let i = 0; i < 200; i++) void publisher.publish({ room: 'closing', from: { id: 'c_publisher', name: 'publisher' }, text: `${i}` });
      const closed = set.close();
      for (const client of clients) {
        expect((await client.closed).code).toBe(1012);
        expect(messagesOf(client).map((f) => f.text)).toEqual(Array.from({ length: 200 }, (_, i) => `${i}`));
      }
      await closed;
    } finally {
      for (const c of clients) c.close();
      await publisher.close();
      await set.close();
    }
  });
});

/** ws's Sender: its ESM entry exports it, @types/ws does not declare it. */
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } };

/** ws's own framing of a server's text frame, header and payload joined. */
function wsFrame(payload: Uint8Array): Buffer {
  return Buffer.concat(Sender.frame(Buffer.from(payload), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
}

/** Payload sizes on each side of the frame header's length boundaries (7-bit, 16-bit, 64-bit). */
const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, 300_000];

describe('a frame built once per fan-out', () => {
  it('is byte for byte the frame ws builds, on each side of the length boundaries', () => {
    for (const size of SIZES) {
      const payload = randomBytes(size);
      expect(textFrame(payload).equals(wsFrame(payload)), `${size} bytes`).toBe(true);
    }
  });

  it('reaches members as ws frames them and ws clients read them, shared by every member', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    const members: MemberSocket[] = [];
    wss.on('connection', (ws) => {
      members.push(new NodeMemberSocket(ws, 256 * 1024));
    });
    const clients = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}`, { maxPayload: 0 });
        const got: string[] = [];
        ws.on('message', (data) => got.push(data.toString()));
        await once(ws, 'open');
        return { ws, got };
      }),
    );
    const raw = await rawWebSocket(port);
    try {
      await until(() => members.length === 4, 'four members');
      const texts = SIZES.map((size) => 'é'.repeat(Math.floor(size / 2)) + 'a'.repeat(size % 2));
      const encoded = texts.map((t) => new TextEncoder().encode(t));
      // One fan-out per text, all in one turn: every member gets the same array, as the room hands it.
      for (let i = 0; i < texts.length; i++) for (const member of members) member.send(texts[i]!, encoded[i]!);

      const wire = Buffer.concat(encoded.map(wsFrame));
      await until(() => raw.bytes().length >= wire.length, 'the frames on the wire');
      expect(raw.bytes().equals(wire)).toBe(true);
      await until(() => clients.every((c) => c.got.length === texts.length), 'the frames at each ws client');
      for (const c of clients) expect(c.got).toEqual(texts);
    } finally {
      raw.socket.destroy();
      for (const c of clients) c.ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});

/** A WebSocket client over a bare TCP socket, keeping the bytes after the handshake as they came. */
async function rawWebSocket(port: number): Promise<{ socket: Socket; bytes: () => Buffer }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  await until(() => received.includes('\r\n\r\n'), 'the handshake answer');
  const bodyAt = received.indexOf('\r\n\r\n') + 4;
  expect(received.subarray(0, bodyAt).toString()).toMatch(/^HTTP\/1\.1 101 /);
  return { socket, bytes: () => received.subarray(bodyAt) };
}

describe('WriteCoalescer over real TCP sockets', () => {
  let server: Server;
  const accepted: Socket[] = [];
  const peers: Socket[] = [];
  beforeAll(async () => {
    server = createServer((s) => accepted.push(s));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(async () => {
    for (const s of [...accepted, ...peers]) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  async function pairs(n: number): Promise<{ ours: Socket; peer: Socket; got: () => string }[]> {
    const made = [];
    for (let i = 0; i < n; i++) {
      const peer = connect((server.address() as AddressInfo).port, '127.0.0.1');
      peers.push(peer);
      let got = '';
      peer.on('data', (d) => (got += d));
      await until(() => accepted.length === peers.length, 'the connection');
      made.push({ ours: accepted.at(-1)!, peer, got: () => got });
    }
    return made;
  }

  it('holds a turn’s writes to a socket, counted in its writableLength, and writes them once the turn ends', async () => {
    const [a] = await pairs(1);
    const coalescer = new WriteCoalescer();
    for (let i = 0; i < 3; i++) {
      coalescer.hold(a!.ours);
      a!.ours.write(`frame ${i};`);
      coalescer.written(a!.ours);
    }
    expect(a!.ours.writableLength).toBe('frame 0;'.length * 3);
    await until(() => a!.got() === 'frame 0;frame 1;frame 2;', 'the three frames');
    expect(a!.ours.writableCorked).toBe(0);
  });

  it('writes a socket at once past flushBytes', async () => {
    const [a] = await pairs(1);
    const coalescer = new WriteCoalescer(1024);
    coalescer.hold(a!.ours);
    a!.ours.write('x'.repeat(2000));
    coalescer.written(a!.ours);
    expect(a!.ours.writableCorked).toBe(0);
    await until(() => a!.got().length === 2000, 'the 2000 bytes');
  });

  it('still writes the others when one socket of the turn is destroyed while held', async () => {
    const [a, b, c] = await pairs(3);
    const coalescer = new WriteCoalescer();
    const errors: Error[] = [];
    for (const { ours } of [a!, b!, c!]) {
      ours.on('error', (err) => errors.push(err));
      coalescer.hold(ours);
      ours.write('before;');
    }
    b!.ours.destroy();
    for (const { ours } of [a!, c!]) {
      coalescer.hold(ours);
      ours.write('after;');
    }
    await until(() => a!.got() === 'before;after;' && c!.got() === 'before;after;', 'the frames of the live sockets');
    await turn();
    expect(b!.got()).toBe('');
    expect(errors).toEqual([]);
  });
});
