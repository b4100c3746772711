import { describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryBus } from '../src/broker/memory.ts';
import { REF_TTL_MS, compareIdText } from '../src/protocol/index.ts';

const alice = { id: 'c_alice', name: 'alice' };
const listener = () => {};

/** A bus on a clock the test moves; `roomsAfter` moves it and sweeps by hand, as the bus's timer would. */
function busAt(roomTtlMs: number) {
  let now = 1_000_000;
  const bus = new MemoryBus({ historySize: 100, roomTtlMs, now: () => now });
  const advance = (ms: number) => (now += ms);
  const roomsAfter = (ms: number) => {
    advance(ms);
    bus.sweep();
    return bus.roomCount;
  };
  return { bus, broker: new MemoryBroker(bus), advance, roomsAfter };
}

describe('how long the memory broker keeps a room', () => {
  it('makes no room for what only reads or removes', async () => {
    const { bus, broker } = busAt(2000);
    await broker.history('nowhere', '1-0');
    await broker.members('nowhere');
    await broker.leave('nowhere', alice);
    await broker.unsubscribe('nowhere', listener);
    expect(bus.roomCount).toBe(0);
  });

  it('forgets a room that holds nothing as soon as its last member and listener go, whatever the TTL', async () => {
    for (const ttl of [0, 2000]) {
      const { bus, broker } = busAt(ttl);
      await broker.subscribe('lobby', listener);
      await broker.join('lobby', alice);
      await broker.leave('lobby', alice);
      expect(bus.roomCount).toBe(1);
      await broker.unsubscribe('lobby', listener);
      expect(bus.roomCount).toBe(0);
    }
  });

  it('forgets a written room once it has been empty and quiet for the TTL, and ids go on increasing', async () => {
    const { broker, roomsAfter } = busAt(2000);
    await broker.join('lobby', alice);
    const first = await broker.publish({ room: 'lobby', from: alice, text: 'hi', ref: 'r1' });
    await broker.leave('lobby', alice);
    expect(roomsAfter(1999)).toBe(1);
    expect(roomsAfter(1)).toBe(0);

    expect(await broker.history('lobby', first.id)).toEqual({ messages: [], recovered: false });
    // The clock stands still here, so only the bus remembering the forgotten id keeps this one larger.
    const again = await broker.publish({ room: 'lobby', from: alice, text: 'hi again', ref: 'r1' });
    expect(again.duplicate).toBe(false);
    expect(compareIdText(again.id, first.id)).toBeGreaterThan(0);
  });

  it('counts the TTL from the last message written while the room is empty', async () => {
    const { broker, advance, roomsAfter } = busAt(2000);
    await broker.publish({ room: 'lobby', from: alice, text: 'one' });
    advance(1500);
    await broker.publish({ room: 'lobby', from: alice, text: 'two' });
    expect(roomsAfter(1500)).toBe(1);
    expect(roomsAfter(500)).toBe(0);
  });

  it('keeps a room with a member, however quiet', async () => {
    const { broker, roomsAfter } = busAt(2000);
    await broker.join('lobby', alice);
    await broker.publish({ room: 'lobby', from: alice, text: 'hi' });
    expect(roomsAfter(60_000)).toBe(1);
  });

  it('keeps a written room for ever with a TTL of 0', async () => {
    const { broker, roomsAfter } = busAt(0);
    await broker.publish({ room: 'lobby', from: alice, text: 'hi' });
    expect(roomsAfter(365 * 24 * 3600 * 1000)).toBe(1);
  });

  it('prunes old refs of a live room with no new ref to prompt it', async () => {
    const { bus, broker, advance } = busAt(0);
    await broker.join('lobby', alice);
    const first = await broker.publish({ room: 'lobby', from: alice, text: 'hi', ref: 'r1' });
    advance(REF_TTL_MS - 1);
    expect(await broker.publish({ room: 'lobby', from: alice, text: 'hi', ref: 'r1' })).toMatchObject({ id: first.id, duplicate: true });
    advance(1);
    expect(bus.refCount).toBe(1);
    bus.sweep();
    expect(bus.refCount).toBe(0);
  });

  it('lets a closed replica’s members go, and the room with them', async () => {
    const { bus, broker } = busAt(2000);
    await broker.join('lobby', alice);
    await broker.close();
    expect(bus.roomCount).toBe(0);
  });
});
