import { describe, expect, it } from 'vitest';
import { createRoomWorld, settle } from './support/room-world.ts';

/**
 * A member's rate buckets are made at its first frame, not at its connect
 * (most members of a big replica never send). A bucket made late must hold
 * what one made at the connect would: the full burst, never more, and never
 * a second one for the same member.
 */
const message = (text: string, ref?: string) => JSON.stringify({ type: 'message', text, ref });
const IDLE_MS = 60_000;

describe('rate limits of a member that waited before sending', () => {
  it('allow the burst of twice the rate after a minute idle, then answer rate_limited', async () => {
    const world = createRoomWorld({ rateLimit: 20 });
    const alice = await world.join(0, 'lobby', 'alice');
    world.advance(IDLE_MS);

    for (let i = 0; i < 45; i++) alice.member.receive(message(`m${i}`, `r${i}`));
    await settle();
    expect(alice.socket.ofType('ack')).toHaveLength(40);
    expect(alice.socket.ofType('error').map((e) => [e.code, e.ref])).toEqual([40, 41, 42, 43, 44].map((i) => ['rate_limited', `r${i}`]));

    // The same bucket refills at the rate: 20 more a second later, not a fresh burst.
    world.advance(1000);
    for (let i = 0; i < 25; i++) alice.member.receive(message(`later${i}`));
    await settle();
    expect(alice.socket.ofType('ack')).toHaveLength(60);
    expect(alice.socket.ofType('error')).toHaveLength(10);
  });

  it('close with 1008 the 101st frame in a second after a minute idle, frames of a first burst included', async () => {
    const world = createRoomWorld();
    const alice = await world.join(0, 'lobby', 'alice');
    world.advance(IDLE_MS);

    for (let i = 0; i < 100; i++) alice.member.receive('{"type":"ping"}');
    expect(alice.socket.closedWith).toBeNull();
    expect(alice.socket.ofType('pong')).toHaveLength(100);
    alice.member.receive('{"type":"ping"}');
    expect(alice.socket.closedWith?.code).toBe(1008);
  });

  it('count frames of every kind in the one frame bucket, messages included', async () => {
    const world = createRoomWorld({ rateLimit: 1000 });
    const alice = await world.join(0, 'lobby', 'alice');
    world.advance(IDLE_MS);

    for (let i = 0; i < 50; i++) alice.member.receive(message(`m${i}`));
    for (let i = 0; i < 50; i++) alice.member.receiveBinary(4);
    expect(alice.socket.closedWith).toBeNull();
    alice.member.receive('{"type":"ping"}');
    expect(alice.socket.closedWith?.code).toBe(1008);
  });
});
