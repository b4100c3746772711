import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../src/broker/memory.ts';
import { COUNT_INTERVAL_MS, utf8Length } from '../src/protocol/index.ts';
import { eventually } from './support/eventually.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { createRoomWorld, settle } from './support/room-world.ts';

/**
 * docs/protocol.md "Big rooms (v1.1)" in process, on two replicas of one bus, with
 * PRESENCE_LIMIT 5: at or below it presence is as in v1; past it no `join` or
 * `leave` goes to anyone, and every member gets `count` when the count changed,
 * at most once a second (real time: the room throttles with Date.now and
 * setTimeout). Every welcome carries `memberCount`.
 */

const LIMIT = 5;

/** Records when each frame was written, to check the once-a-second rule. */
class TimedSocket extends FakeSocket {
  readonly at: number[] = [];
  override send(frame: string, utf8: Uint8Array | null): void {
    super.send(frame, utf8);
    this.at.push(Date.now());
  }
  countsWithTimes(): Array<{ members: number; at: number }> {
    return this.frames()
      .map((f, i) => ({ f, at: this.at[i]! }))
      .filter(({ f }) => f.type === 'count')
      .map(({ f, at }) => ({ members: f.members, at }));
  }
}

/**
 * A reader on a real network: what is sent waits in a buffer that the
 * reader empties at `bytesPerTick` every few milliseconds.
 */
class DrainingSocket extends FakeSocket {
  private unsent = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  constructor(bytesPerTick: number) {
    super();
    this.timer = setInterval(() => (this.unsent = Math.max(0, this.unsent - bytesPerTick)), 5);
  }
  override send(frame: string, utf8: Uint8Array | null): void {
    super.send(frame, utf8);
    this.unsent += utf8Length(frame);
  }
  override bufferedAmount(): number {
    return this.unsent;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

const toStop: Array<() => void> = [];
afterEach(() => {
  for (const stop of toStop.splice(0)) stop();
});

/** A world of two replicas with PRESENCE_LIMIT 5, and members joined alternately on each, welcomes awaited. */
function bigRoomWorld() {
  const world = createRoomWorld({ replicas: 2, presenceLimit: LIMIT, rateLimit: 0 });
  const members: Array<Awaited<ReturnType<typeof world.join>> & { socket: TimedSocket }> = [];
  async function joinNext() {
    const i = members.length;
    const joined = await world.join(i % 2, 'big', `m${i}`, new TimedSocket());
    const member = { ...joined, socket: joined.socket as TimedSocket };
    members.push(member);
    return member;
  }
  const open = () => members.filter((m) => !m.member.isClosed);
  const leave = (m: (typeof members)[number]) => {
    m.socket.close(1000, 'bye');
    m.member.socketClosed();
  };
  return { world, members, joinNext, open, leave };
}

/** A big room world taken one past the limit (6 members), then back to it by the sixth's leave; settled. */
async function pastTheLimitAndBack() {
  const room = bigRoomWorld();
  for (let i = 0; i < LIMIT + 1; i++) await room.joinNext();
  await settle();
  room.leave(room.members[5]!);
  await settle();
  return room;
}

const presenceFrames = (socket: FakeSocket) => socket.frames().filter((f) => f.type === 'join' || f.type === 'leave');

describe('big rooms: PRESENCE_LIMIT 5 on two replicas', () => {
  it('keeps v1 presence at or below the limit: join and leave frames, no count, memberCount in every welcome', async () => {
    const { members, joinNext, leave } = bigRoomWorld();
    for (let i = 0; i < LIMIT; i++) {
      const { welcome } = await joinNext();
      expect(welcome.memberCount).toBe(i + 1);
      expect(welcome.members).toHaveLength(i + 1);
    }
    await settle();
    // Each member was told of every later one.
    members.forEach((m, i) =>
      expect(presenceFrames(m.socket).map((f) => [f.type, f.member.name])).toEqual(
        members.slice(i + 1).map((later) => ['join', later.welcome.you.name]),
      ),
    );
    leave(members[4]!);
    await settle();
    for (const m of members.slice(0, 4)) expect(presenceFrames(m.socket).at(-1)).toEqual({ type: 'leave', member: members[4]!.welcome.you });
    for (const m of members) expect(m.socket.ofType('count')).toEqual([]);
  });

  it('past the limit sends no join or leave to anyone, lists the first 5 in a welcome with the true memberCount, and counts instead', async () => {
    const { members, joinNext, open } = bigRoomWorld();
    for (let i = 0; i < LIMIT; i++) await joinNext();
    const framesBefore = members.map((m) => presenceFrames(m.socket).length);

    for (let i = LIMIT; i < 12; i++) {
      const { welcome } = await joinNext();
      expect(welcome.memberCount).toBe(i + 1);
      expect(welcome.members).toHaveLength(LIMIT);
      expect(welcome.members).toEqual(members.slice(0, LIMIT).map((m) => m.welcome.you));
    }
    await settle();
    // No join past the limit: the first five got only the joins of each other, the newcomers none.
    members.forEach((m, i) => expect(presenceFrames(m.socket)).toHaveLength(framesBefore[i] ?? 0));

    // Once joins settle, every member's last count is the true one: 12.
    await eventually(() => {
      for (const m of open()) expect(m.socket.ofType('count').at(-1)).toEqual({ type: 'count', members: 12 });
    }, 3000);
  });

  it('sends count at most once a second, and only when it changed, on both replicas', async () => {
    const { members, joinNext, open, leave } = bigRoomWorld();
    for (let i = 0; i < LIMIT + 1; i++) await joinNext();
    await settle();
    // The room just passed the limit: the first count goes at once.
    for (const m of open()) expect(m.socket.ofType('count')).toEqual([{ type: 'count', members: 6 }]);

    // Three joins within the second: one count, of 9, a second after the first.
    for (let i = 0; i < 3; i++) await joinNext();
    await settle();
    for (const m of members.slice(0, 6)) expect(m.socket.ofType('count')).toHaveLength(1);
    await eventually(() => {
      for (const m of open()) expect(m.socket.ofType('count').at(-1)).toEqual({ type: 'count', members: 9 });
    }, 3000);

    // Leaves past the limit: count, never leave.
    const leavesBefore = members.map((m) => m.socket.ofType('leave').length);
    leave(members[8]!);
    leave(members[1]!);
    await eventually(() => {
      for (const m of open()) expect(m.socket.ofType('count').at(-1)).toEqual({ type: 'count', members: 7 });
    }, 3000);
    members.forEach((m, i) => expect(m.socket.ofType('leave')).toHaveLength(leavesBefore[i]!));

    // A join and a leave within the second leave the count as it was: no count is sent.
    const countsBefore = open().map((m) => m.socket.ofType('count').length);
    await joinNext();
    leave(members.at(-1)!);
    await new Promise((r) => setTimeout(r, COUNT_INTERVAL_MS + 200));
    open().forEach((m, i) => expect(m.socket.ofType('count').length).toBe(countsBefore[i]));

    for (const m of members) {
      const counts = m.socket.countsWithTimes();
      for (let i = 1; i < counts.length; i++) {
        // Timers may fire a millisecond early against Date.now.
        expect(counts[i]!.at - counts[i - 1]!.at).toBeGreaterThanOrEqual(COUNT_INTERVAL_MS - 2);
        expect(counts[i]!.members).not.toBe(counts[i - 1]!.members);
      }
    }
  }, 15_000);

  it('goes back to join and leave at or below the limit, and sends no count then', async () => {
    const { members, open } = await pastTheLimitAndBack();
    // 5 members again: the leave of the sixth is told as in v1.
    for (const m of open()) expect(m.socket.frames().at(-1)).toEqual({ type: 'leave', member: members[5]!.welcome.you });
    await new Promise((r) => setTimeout(r, COUNT_INTERVAL_MS + 200));
    for (const m of open()) expect(m.socket.ofType('count')).toEqual([{ type: 'count', members: 6 }]);
  }, 10_000);

  // The room must not remember the count it sent (6) across the v1 leave that
  // took it to 5, or passing the limit again at 6 would look like no change.
  it('tells the others the count when the room passes the limit again after falling to it', async () => {
    const { joinNext, open } = await pastTheLimitAndBack();
    for (const m of open()) expect(m.socket.frames().at(-1)).toMatchObject({ type: 'leave' });
    // The others were last told of 5 members (by that leave); now there are 6.
    const { welcome } = await joinNext();
    expect(welcome).toMatchObject({ memberCount: 6 });
    await eventually(() => {
      for (const m of open().slice(0, -1)) expect(m.socket.frames().at(-1)).toEqual({ type: 'count', members: 6 });
    }, 3000);
  }, 10_000);
});

describe('a big room newcomer on a reader that drains like a network', () => {
  it('is never closed with 1013 by its welcome: 2,000 members, a send-buffer limit of 16 KiB, the default PRESENCE_LIMIT', async () => {
    const world = createRoomWorld({ replicas: 2, sendBufferLimit: 16 * 1024, presenceLimit: 1000 });
    // 1,999 members held by a third replica, with names of 32 characters.
    const elsewhere = new MemoryBroker(world.bus);
    for (let i = 0; i < 1999; i++) await elsewhere.join('huge', { id: `c_other${i}`, name: `member ${String(i).padStart(25, '0')}` });

    const socket = new DrainingSocket(8 * 1024);
    toStop.push(() => socket.stop());
    const { welcome } = await world.join(0, 'huge', 'newcomer', socket);
    expect(welcome.memberCount).toBe(2000);
    expect(welcome.members).toHaveLength(1000);
    // The welcome alone is past the send-buffer limit, so it had to be paced, not refused.
    expect(utf8Length(JSON.stringify(welcome))).toBeGreaterThan(3 * 16 * 1024);

    // It goes live: a message from a member on the other replica reaches it.
    const sender = await world.join(1, 'huge', 'sender');
    sender.member.receive(JSON.stringify({ type: 'message', text: 'welcome aboard' }));
    await eventually(() => expect(socket.ofType('message').map((m) => m.text)).toEqual(['welcome aboard']));
    expect(socket.closedWith).toBeNull();
  });
});
