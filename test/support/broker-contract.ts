import { afterEach, describe, expect, it } from 'vitest';
import type { Broker, Page, PageRequest, RoomEvent } from '../../src/broker/broker.ts';
import { compareIdText, formatMessageId, parseMessageId } from '../../src/protocol/index.ts';
import { eventually } from './eventually.ts';

export interface BrokerPair {
  /** Two replicas' brokers over the same backend. */
  a: Broker;
  b: Broker;
  close(): Promise<void>;
}

/** Makes a pair whose backend keeps at least the last `historySize` messages of each room. */
export type BrokerPairFactory = (historySize: number) => Promise<BrokerPair>;

/** The history size of most rows; paging asks for more, so that every message it walks is kept. */
const HISTORY_SIZE = 100;

const alice = { id: 'c_alice', name: 'alice' };
const bob = { id: 'c_bob', name: 'bob' };
let rooms = 0;
const freshRoom = () => `contract-${Date.now()}-${rooms++}`;

/**
 * What every Broker must do, run over every backend by the runners (see
 * backends.ts). For a backend that is its room's only replica (a Durable
 * Object), `a` and `b` are the same broker.
 */
export function brokerContract(create: BrokerPairFactory): void {
  describe('broker contract', () => {
    let pair: BrokerPair | null = null;
    const open = async (historySize = HISTORY_SIZE) => (pair = await create(historySize));
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
      const historySize = HISTORY_SIZE;
      const { a } = await open(historySize);
      const room = freshRoom();
      const ids: string[] = [];
      for (let i = 0; i < historySize * 2 + 10; i++) ids.push((await a.publish({ room, from: alice, text: `m${i}` })).id);
      // docs/protocol.md: recovery is possible from a since among the last historySize.
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

    it('pages back from the newest and forward from an id over 250 messages, with no gap and no overlap', async () => {
      // A log that keeps all 250: the memory broker trims in halves and Redis approximately.
      const { a, b } = await open(300);
      const room = freshRoom();
      const ids: string[] = [];
      for (let i = 0; i < 250; i++) ids.push((await a.publish({ room, from: alice, text: `m${i}` })).id);

      const back = await walk(b, room, 'before', undefined, 100);
      expect(back.sizes).toEqual([100, 100, 50]);
      expect(back.ids).toEqual([...ids].reverse());
      expect(back.first.messages[0]).toMatchObject({ id: ids[249], room, from: alice, text: 'm249' });

      const forward = await walk(b, room, 'after', ids[0], 100);
      expect(forward.sizes).toEqual([100, 100, 49]);
      expect(forward.ids).toEqual(ids.slice(1));
      expect(forward.first.messages[0]).toMatchObject({ id: ids[1], room, from: alice, text: 'm1' });
    });

    it('pages from the ends, from ids it does not hold, and one message at a time', async () => {
      const { a, b } = await open();
      const room = freshRoom();
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        // A pause halfway, so that ids 4 and 5 differ in ms and an id exists between them that was never given.
        if (i === 5) await new Promise((resolve) => setTimeout(resolve, 5));
        ids.push((await a.publish({ room, from: alice, text: `m${i}` })).id);
      }
      const empty: Page = { messages: [], next: null };
      const page = async (request: PageRequest) => {
        const { messages, next } = await b.page(room, request);
        return { ids: messages.map((m) => m.id), next };
      };

      expect(await b.page(room, { before: ids[0], limit: 50 })).toEqual(empty);
      expect(await b.page(room, { after: ids[9], limit: 50 })).toEqual(empty);

      const first = parseMessageId(ids[0]!)!;
      const fourth = parseMessageId(ids[4]!)!;
      const last = parseMessageId(ids[9]!)!;
      const between = formatMessageId({ ms: fourth.ms, seq: fourth.seq + 1 });
      expect(compareIdText(between, ids[5]!)).toBeLessThan(0);
      const older = formatMessageId({ ms: first.ms - 1, seq: 0 });
      const newer = formatMessageId({ ms: last.ms + 1, seq: 0 });

      expect(await page({ before: between, limit: 3 })).toEqual({ ids: [ids[4], ids[3], ids[2]], next: ids[2] });
      expect(await page({ after: between, limit: 3 })).toEqual({ ids: [ids[5], ids[6], ids[7]], next: ids[7] });
      expect(await b.page(room, { before: older, limit: 50 })).toEqual(empty);
      expect(await page({ after: older, limit: 4 })).toEqual({ ids: ids.slice(0, 4), next: ids[3] });
      expect(await page({ after: older, limit: 50 })).toEqual({ ids, next: null });
      expect(await page({ before: newer, limit: 2 })).toEqual({ ids: [ids[9], ids[8]], next: ids[8] });
      expect(await page({ before: newer, limit: 10 })).toEqual({ ids: [...ids].reverse(), next: null });
      expect(await b.page(room, { after: newer, limit: 50 })).toEqual(empty);
      expect(await b.page(room, { before: '0-0', limit: 50 })).toEqual(empty);

      expect(await page({ limit: 1 })).toEqual({ ids: [ids[9]], next: ids[9] });
      expect(await page({ before: ids[1], limit: 1 })).toEqual({ ids: [ids[0]], next: null });
      expect(await page({ after: ids[7], limit: 1 })).toEqual({ ids: [ids[8]], next: ids[8] });
      expect(await page({ after: ids[8], limit: 1 })).toEqual({ ids: [ids[9]], next: null });
      expect((await walk(b, room, 'after', older, 1)).ids).toEqual(ids);
      expect((await walk(b, room, 'before', undefined, 1)).ids).toEqual([...ids].reverse());
    });

    it('pages a room with no messages as empty, with no next', async () => {
      const { b } = await open();
      const room = freshRoom();
      const empty: Page = { messages: [], next: null };
      expect(await b.page(room, { limit: 50 })).toEqual(empty);
      expect(await b.page(room, { before: '1-0', limit: 50 })).toEqual(empty);
      expect(await b.page(room, { after: '1-0', limit: 50 })).toEqual(empty);
    });
  });
}

/** Follows `next` from `start` until it is null: every page's size and every id, in the order given. */
async function walk(broker: Broker, room: string, side: 'before' | 'after', start: string | undefined, limit: number) {
  const sizes: number[] = [];
  const ids: string[] = [];
  let first: Page | null = null;
  let bound = start;
  for (;;) {
    const page = await broker.page(room, { [side]: bound, limit });
    first ??= page;
    sizes.push(page.messages.length);
    ids.push(...page.messages.map((m) => m.id));
    if (page.next === null) return { sizes, ids, first };
    expect(page.next).toBe(ids.at(-1));
    // A page never comes back with the same bound: no loop if `next` stops moving.
    expect(page.next).not.toBe(bound);
    bound = page.next;
  }
}
