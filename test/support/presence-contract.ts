import { afterEach, describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../src/broker/broker.ts';
import type { ReplicaPair, PairFactory } from './backends.ts';
import { eventually } from './eventually.ts';

const alice = { id: 'c_alice', name: 'alice' };
const bob = { id: 'c_bob', name: 'bob' };
let rooms = 0;
const freshRoom = () => `presence-${Date.now()}-${rooms++}`;

export interface PresenceContractOptions {
  /**
   * Set, with why, for a backend that is its room's only replica (a room's
   * Durable Object): `a` and `b` are then the same replica, and no other one
   * is left to see it close.
   */
  oneReplica?: string;
}

/**
 * What every Presence must do (see src/broker/presence.ts), run over every
 * backend by the runners (see backends.ts). Its events are read on the room's
 * subscription at the broker beside it.
 */
export function presenceContract(create: PairFactory, options: PresenceContractOptions = {}): void {
  describe('presence contract', () => {
    let pair: ReplicaPair | null = null;
    const open = async () => (pair = await create(100));
    afterEach(async () => {
      await pair?.close();
      pair = null;
    });

    it('keeps presence across replicas and announces joins and leaves', async () => {
      const { a, b } = await open();
      const room = freshRoom();
      const events: RoomEvent[] = [];
      await b.broker.subscribe(room, (e) => events.push(e));
      await a.presence.join(room, alice);
      await b.presence.join(room, bob);
      const ids = (await a.presence.members(room)).map((m) => m.id).sort();
      expect(ids).toEqual(['c_alice', 'c_bob']);
      await a.presence.leave(room, alice);
      expect(await b.presence.members(room)).toEqual([bob]);
      await eventually(() =>
        expect(events).toEqual([
          { type: 'join', member: alice, count: 1 },
          { type: 'join', member: bob, count: 2 },
          { type: 'leave', member: alice, count: 1 },
        ]),
      );
    });

    it('announces nothing for the leave of a member it does not hold', async () => {
      const { a, b } = await open();
      const room = freshRoom();
      const events: RoomEvent[] = [];
      await b.broker.subscribe(room, (e) => events.push(e));
      await a.presence.leave(room, alice);
      // Bob's join comes after, in the room's one order: once it is here, a leave would have been too.
      await b.presence.join(room, bob);
      await eventually(() => expect(events).toEqual([{ type: 'join', member: bob, count: 1 }]));
      expect(await a.presence.members(room)).toEqual([bob]);
    });

    if (!options.oneReplica) it('removes a closed replica’s members from presence', async () => {
      const { a, b } = await open();
      const room = freshRoom();
      const events: RoomEvent[] = [];
      await b.broker.subscribe(room, (e) => events.push(e));
      await a.presence.join(room, alice);
      await b.presence.join(room, bob);
      // A replica's presence ends with its broker (see Presence).
      await a.broker.close();
      await eventually(async () => expect(await b.presence.members(room)).toEqual([bob]), 30_000);
      await eventually(() => expect(events).toContainEqual({ type: 'leave', member: alice, count: 1 }), 30_000);
    });
  });
}
