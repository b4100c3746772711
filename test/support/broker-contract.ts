import { afterEach, describe, expect, it } from 'vitest';
import type { Broker, RoomEvent } from '../../src/broker/broker.ts';
import { compareIdText, parseMessageId } from '../../src/protocol/index.ts';
import { eventually } from './eventually.ts';

export interface BrokerPair {
  /** Two replicas' brokers over the same backend. */
  a: Broker;
  b: Broker;
  /** The size the backend keeps each room's log at, at least (100 or more). */
  historySize: number;
  close(): Promise<void>;
}

const alice = { id: 'c_alice', name: 'alice' };
const bob = { id: 'c_bob', name: 'bob' };
let rooms = 0;
const freshRoom = () => `contract-${Date.now()}-${rooms++}`;

export interface ContractOptions {
  /**
   * Set, with why, for a broker that is its backend's only replica (a room's
   * Durable Object): `a` and `b` are then the same broker, and no other replica
   * is left to see one close.
   */
  oneReplica?: string;
}

/** What every Broker must do; run once per adapter. */
export function brokerContract(name: string, create: () => Promise<BrokerPair>, options: ContractOptions = {}): void {
  describe(`${name} broker contract`, () => {
    let pair: BrokerPair | null = null;
    const open = async () => (pair = await create());
    afterEach(async () => {
      await pair?.close();
      pair = null;
    });

    it('gives ids of the protocol form that increase per room', async () => {
      const { a } = await open();
      const room = freshRoom();
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await a.publish({ room, from: alice, text: `m${i}` })).id);
      for (const id of ids) expect(parseMessageId(id), id).not.toBeNull();
      for (let i = 1; i < ids.length; i++) expect(compareIdText(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
    });

    it('delivers to every subscriber, the publisher’s own included, in one order for concurrent publishers', async () => {
      const { a, b } = await open();
      const room = freshRoom();
      const seenA: string[] = [];
      const seenB: string[] = [];
      const collect = (into: string[]) => (e: RoomEvent) => e.type === 'message' && into.push(e.message.id);
      await a.subscribe(room, collect(seenA));
      await b.subscribe(room, collect(seenB));
      const sends = [];
      for (let i = 0; i < 25; i++) {
        sends.push(a.publish({ room, from: alice, text: `a${i}` }));
        sends.push(b.publish({ room, from: bob, text: `b${i}` }));
      }
      const ids = (await Promise.all(sends)).map((p) => p.id);
      await eventually(() => expect(seenA).toHaveLength(50));
      await eventually(() => expect(seenB).toHaveLength(50));
      expect(seenA).toEqual(seenB);
      expect([...seenA].sort(compareIdText)).toEqual(seenA);
      expect(new Set(seenA)).toEqual(new Set(ids));
    });

    it('stops delivering after unsubscribe, and leaves a newer listener alone', async () => {
      const { a } = await open();
      const room = freshRoom();
      const old: RoomEvent[] = [];
      const current: RoomEvent[] = [];
      const oldListener = (e: RoomEvent) => old.push(e);
      await a.subscribe(room, oldListener);
      await a.unsubscribe(room, oldListener);
      await a.subscribe(room, (e) => current.push(e));
      await a.unsubscribe(room, oldListener);
      await a.publish({ room, from: alice, text: 'hi' });
      await eventually(() => expect(current).toHaveLength(1));
      expect(old).toEqual([]);
    });

    it('gives the recent 50 without since, and everything after a held since', async () => {
      const { a, b } = await open();
      const room = freshRoom();
      const ids: string[] = [];
      for (let i = 0; i < 120; i++) ids.push((await a.publish({ room, from: alice, text: `m${i}` })).id);

      const recent = await b.history(room, undefined);
      expect(recent.recovered).toBe(false);
      expect(recent.messages.map((m) => m.id)).toEqual(ids.slice(-50));
      expect(recent.messages[0]).toMatchObject({ room, from: alice, text: 'm70' });

      const recovered = await b.history(room, ids[79]);
      expect(recovered.recovered).toBe(true);
      expect(recovered.messages.map((m) => m.id)).toEqual(ids.slice(80));

      const upToDate = await b.history(room, ids.at(-1));
      expect(upToDate).toEqual({ recovered: true, messages: [] });
    });

    it.each([
      ['malformed', 'yesterday'],
      ['with leading zeros', '01-0'],
      ['unknown', '1-1'],
      ['in the future', '99999999999999-0'],
    ])('answers a %s since with recovered: false and the recent messages', async (_what, since) => {
      const { a } = await open();
      const room = freshRoom();
      for (let i = 0; i < 3; i++) await a.publish({ room, from: alice, text: `m${i}` });
      const history = await a.history(room, since);
      expect(history.recovered).toBe(false);
      expect(history.messages.map((m) => m.text)).toEqual(['m0', 'm1', 'm2']);
    });

    it('keeps at least the last historySize messages, and cannot recover from older ones', async () => {
      const { a, historySize } = await open();
      const room = freshRoom();
      const ids: string[] = [];
      for (let i = 0; i < historySize * 2 + 10; i++) ids.push((await a.publish({ room, from: alice, text: `m${i}` })).id);
      // PROTOCOL.md: recovery is possible from a since among the last historySize.
      const kept = await a.history(room, ids.at(-historySize));
      expect(kept.recovered).toBe(true);
      expect(kept.messages.map((m) => m.id)).toEqual(ids.slice(-historySize + 1));
      const lost = await a.history(room, ids[0]);
      expect(lost.recovered).toBe(false);
      expect(lost.messages.map((m) => m.id)).toEqual(ids.slice(-50));
    });

    it('publishes a ref once and answers a re-send, through either broker, with the first id', async () => {
      const { a, b } = await open();
      const room = freshRoom();
      const delivered: string[] = [];
      await b.subscribe(room, (e) => e.type === 'message' && delivered.push(e.message.text));
      const first = await a.publish({ room, from: alice, text: 'once', ref: 'ref-1' });
      const again = await b.publish({ room, from: alice, text: 'changed', ref: 'ref-1' });
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ id: first.id, ts: first.ts, duplicate: true });
      await b.publish({ room, from: alice, text: 'after' });
      await eventually(() => expect(delivered).toEqual(['once', 'after']));
    });

    it('keeps presence across replicas and announces joins and leaves', async () => {
      const { a, b } = await open();
      const room = freshRoom();
      const events: RoomEvent[] = [];
      await b.subscribe(room, (e) => events.push(e));
      await a.join(room, alice);
      await b.join(room, bob);
      const ids = (await a.members(room)).map((m) => m.id).sort();
      expect(ids).toEqual(['c_alice', 'c_bob']);
      await a.leave(room, alice);
      expect(await b.members(room)).toEqual([bob]);
      await eventually(() =>
        expect(events).toEqual([
          { type: 'join', member: alice, count: 1 },
          { type: 'join', member: bob, count: 2 },
          { type: 'leave', member: alice, count: 1 },
        ]),
      );
    });

    if (!options.oneReplica) it('removes a closed replica’s members from presence', async () => {
      const { a, b } = await open();
      const room = freshRoom();
      const events: RoomEvent[] = [];
      await b.subscribe(room, (e) => events.push(e));
      await a.join(room, alice);
      await b.join(room, bob);
      await a.close();
      await eventually(async () => expect(await b.members(room)).toEqual([bob]), 30_000);
      await eventually(() => expect(events).toContainEqual({ type: 'leave', member: alice, count: 1 }), 30_000);
    });
  });
}
