import { expect, it } from 'vitest';
import { createRoomWorld, settle } from './support/room-world.ts';

it('acks a re-sent ref with the first id and ts, and publishes it once', async () => {
  const world = createRoomWorld();
  const alice = await world.join(0, 'lobby', 'alice');
  const bob = await world.join(1, 'lobby', 'bob');

  alice.member.receive(JSON.stringify({ type: 'message', text: 'once', ref: 'same' }));
  await settle();
  world.advance(5000);
  // As after a reconnect through another replica, with different text even.
  alice.member.socketClosed();
  const again = await world.join(1, 'lobby', 'alice');
  again.member.receive(JSON.stringify({ type: 'message', text: 'twice?', ref: 'same' }));
  await settle();

  const [first] = alice.socket.ofType('ack');
  expect(again.socket.ofType('ack')).toEqual([first]);
  expect(bob.socket.ofType('message').map((m) => m.text)).toEqual(['once']);
});

it('forgets a ref after ten minutes', async () => {
  const world = createRoomWorld();
  const alice = await world.join(0, 'lobby', 'alice');
  alice.member.receive(JSON.stringify({ type: 'message', text: 'a', ref: 'old' }));
  await settle();
  world.advance(10 * 60 * 1000 + 1);
  alice.member.receive(JSON.stringify({ type: 'message', text: 'b', ref: 'old' }));
  await settle();
  const acks = alice.socket.ofType('ack');
  expect(acks).toHaveLength(2);
  expect(acks[1].id).not.toBe(acks[0].id);
});
