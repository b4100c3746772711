import { describe, expect, it } from 'vitest';
import { FakeSocket } from './support/fake-socket.ts';
import { createRoomWorld, settle } from './support/room-world.ts';

const message = (text: string, ref?: string) => JSON.stringify({ type: 'message', text, ref });

describe('limits a member meets', () => {
  it('allows a burst of twice the rate, then answers rate_limited with the ref and drops the message', async () => {
    const world = createRoomWorld({ rateLimit: 20 });
    const alice = await world.join(0, 'lobby', 'alice');
    const bob = await world.join(1, 'lobby', 'bob');

    for (let i = 0; i < 45; i++) alice.member.receive(message(`m${i}`, `r${i}`));
    await settle();
    expect(alice.socket.ofType('ack')).toHaveLength(40);
    expect(alice.socket.ofType('error')).toEqual(
      [40, 41, 42, 43, 44].map((i) => ({ type: 'error', code: 'rate_limited', message: expect.any(String), ref: `r${i}` })),
    );
    expect(bob.socket.ofType('message')).toHaveLength(40);

    world.advance(1000);
    for (let i = 0; i < 25; i++) alice.member.receive(message(`later${i}`));
    await settle();
    expect(alice.socket.ofType('ack')).toHaveLength(60);
  });

  it('turns the rate limit off with 0', async () => {
    const world = createRoomWorld({ rateLimit: 0 });
    const alice = await world.join(0, 'lobby', 'alice');
    for (let i = 0; i < 90; i++) alice.member.receive(message(`m${i}`));
    await settle();
    expect(alice.socket.ofType('ack')).toHaveLength(90);
  });

  it('closes with 1009 a frame over the size limit, and allows one of exactly the limit', async () => {
    const world = createRoomWorld({ maxFrameBytes: 16384 });
    const alice = await world.join(0, 'lobby', 'alice');
    const exact = '{"type":"ping","pad":"' + 'é'.repeat((16384 - 24) / 2) + '"}';
    expect(new TextEncoder().encode(exact).length).toBe(16384);
    alice.member.receive(exact);
    expect(alice.socket.frames().at(-1)).toEqual({ type: 'pong' });
    expect(alice.socket.closedWith).toBeNull();

    alice.member.receive(exact.replace('"pad":"', '"pad":"x'));
    expect(alice.socket.closedWith).toEqual({ code: 1009, reason: expect.any(String) });
  });

  it('closes with 1009 a binary frame over the limit, and answers a small one with bad_request', async () => {
    const world = createRoomWorld();
    const alice = await world.join(0, 'lobby', 'alice');
    alice.member.receiveBinary(10);
    expect(alice.socket.frames().at(-1)).toMatchObject({ type: 'error', code: 'bad_request' });
    alice.member.receiveBinary(16385);
    expect(alice.socket.closedWith?.code).toBe(1009);
  });

  it('closes with 1008 past 100 frames a second of any kind, bad ones included', async () => {
    const world = createRoomWorld();
    const alice = await world.join(0, 'lobby', 'alice');
    for (let i = 0; i < 100; i++) alice.member.receive(i % 2 ? '{"type":"ping"}' : 'junk');
    expect(alice.socket.closedWith).toBeNull();
    alice.member.receive('{"type":"ping"}');
    expect(alice.socket.closedWith?.code).toBe(1008);
  });

  it('closes with 1013 a reader that never drains, and keeps serving the others', async () => {
    const world = createRoomWorld({ rateLimit: 0, sendBufferLimit: 64 * 1024 });
    const slow = await world.join(0, 'lobby', 'slow', new FakeSocket({ drains: false }));
    const fine = await world.join(0, 'lobby', 'fine');
    const sender = await world.join(1, 'lobby', 'sender');

    const text = 'x'.repeat(1000);
    for (let i = 0; i < 80; i++) {
      sender.member.receive(message(text));
      world.advance(10);
    }
    await settle();
    expect(slow.socket.closedWith?.code).toBe(1013);
    expect(fine.socket.ofType('message')).toHaveLength(80);
    expect(fine.socket.ofType('leave').map((f) => f.member.name)).toEqual(['slow']);
  });
});

it('releases a room whose last member is closed for reading too slowly during a fan-out', async () => {
  const world = createRoomWorld({ rateLimit: 0, sendBufferLimit: 16 * 1024 });
  const slow = await world.join(0, 'lonely', 'slow', new FakeSocket({ drains: false }));
  const sender = await world.join(1, 'lonely', 'sender');
  for (let i = 0; i < 40 && !slow.socket.closedWith; i++) sender.member.receive(message('y'.repeat(1000)));
  await settle();
  expect(slow.socket.closedWith?.code).toBe(1013);
  expect(world.registries[0]!.roomCount).toBe(0);
  expect(world.registries[0]!.connections).toBe(0);
});
