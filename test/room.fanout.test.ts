import { describe, expect, it } from 'vitest';
import { createRoomWorld, settle } from './support/room-world.ts';

describe('fan-out in a room', () => {
  it('delivers a message to every other member on every replica, and acks the sender alone', async () => {
    const world = createRoomWorld();
    const alice = await world.join(0, 'lobby', 'alice');
    const bob = await world.join(0, 'lobby', 'bob');
    const carol = await world.join(1, 'lobby', 'carol');
    const elsewhere = await world.join(1, 'other', 'dave');

    alice.member.receive(JSON.stringify({ type: 'message', text: 'Hello!', ref: 'r1' }));
    await settle();

    const [ack] = alice.socket.ofType('ack');
    expect(ack).toMatchObject({ type: 'ack', ref: 'r1' });
    expect(alice.socket.ofType('message')).toEqual([]);
    for (const other of [bob, carol]) {
      expect(other.socket.ofType('message')).toEqual([
        { type: 'message', id: ack.id, room: 'lobby', from: alice.welcome.you, text: 'Hello!', ts: ack.ts },
      ]);
      expect(other.socket.ofType('ack')).toEqual([]);
    }
    expect(elsewhere.socket.ofType('message')).toEqual([]);
  });

  it('gives every member the same order when several members send at once', async () => {
    const world = createRoomWorld({ rateLimit: 0 });
    const members = [];
    for (let i = 0; i < 6; i++) members.push(await world.join(i % 2, 'busy', `m${i}`));
    const observer = await world.join(1, 'busy', 'observer');

    for (let round = 0; round < 10; round++) {
      for (const [i, m] of members.entries()) m.member.receive(JSON.stringify({ type: 'message', text: `${i}:${round}` }));
      world.advance(round % 3 === 0 ? 0 : 1);
    }
    await settle();

    const everything = observer.socket.ofType('message').map((m) => m.id);
    expect(everything).toHaveLength(60);
    const sorted = [...everything].sort((a, b) => {
      const [am, as] = a.split('-').map(Number);
      const [bm, bs] = b.split('-').map(Number);
      return am - bm || as - bs;
    });
    expect(everything).toEqual(sorted);
    expect(new Set(everything).size).toBe(60);
    for (const m of members) {
      const own = new Set(m.socket.ofType('ack').map((a) => a.id));
      const seen = m.socket.ofType('message').map((f) => f.id);
      expect(seen).toEqual(everything.filter((id) => !own.has(id)));
    }
  });

  it('announces join and leave to the others, never to the member itself', async () => {
    const world = createRoomWorld();
    const alice = await world.join(0, 'lobby', 'alice');
    const bob = await world.join(1, 'lobby', 'bob');
    await settle();

    expect(bob.welcome.members).toEqual([alice.welcome.you, bob.welcome.you]);
    expect(alice.socket.ofType('join')).toEqual([{ type: 'join', member: bob.welcome.you }]);
    expect(bob.socket.ofType('join')).toEqual([]);

    bob.member.socketClosed();
    await settle();
    expect(alice.socket.ofType('leave')).toEqual([{ type: 'leave', member: bob.welcome.you }]);
    const carol = await world.join(1, 'lobby', 'carol');
    expect(carol.welcome.members).toEqual([alice.welcome.you, carol.welcome.you]);
  });

  it('answers ping with pong', async () => {
    const world = createRoomWorld();
    const alice = await world.join(0, 'lobby', 'alice');
    alice.member.receive('{"type":"ping"}');
    expect(alice.socket.frames().at(-1)).toEqual({ type: 'pong' });
  });
});
