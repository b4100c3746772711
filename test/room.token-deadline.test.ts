import { expect, it } from 'vitest';
import { MemoryBroker, MemoryBus } from '../src/broker/memory.ts';
import { parseConnectRequest } from '../src/protocol/index.ts';
import { RoomRegistry, TimerDeadlines } from '../src/room/index.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { quietLog, settle } from './support/room-world.ts';

function registryOnBus() {
  const bus = new MemoryBus();
  const deadlines = new TimerDeadlines();
  const broker = new MemoryBroker(bus);
  const registry = new RoomRegistry({
    broker,
    presence: broker,
    instance: 'node-1',
    rateLimit: 20,
    maxFrameBytes: 16384,
    sendBufferLimit: 1 << 20,
    presenceLimit: 1000,
    log: quietLog,
    verifyToken: async () => {
      throw new Error('not used here');
    },
    deadlines,
  });
  return { bus, registry, deadlines };
}

it('closes with 4001 a member whose token expired between its check and its upgrade, and keeps nothing of it', async () => {
  const { bus, registry, deadlines } = registryOnBus();
  const socket = new FakeSocket();
  const member = registry.connect({ ...parseConnectRequest('late', undefined, undefined), user: 'u1', expiresAt: Date.now() - 1 }, socket);
  await settle();
  expect(member.isClosed).toBe(true);
  expect(socket.closedWith).toEqual({ code: 4001, reason: 'token expired' });
  expect(socket.ofType('welcome')).toEqual([]);
  // Nothing left behind: no room here, no subscription or room at the broker, no timer.
  expect([registry.connections, registry.roomCount, bus.roomCount, deadlines.size]).toEqual([0, 0, 0, 0]);
});

it('forgets the deadline of a member that leaves before it', async () => {
  const { registry, deadlines } = registryOnBus();
  const socket = new FakeSocket();
  const member = registry.connect({ ...parseConnectRequest('early', undefined, undefined), user: 'u1', expiresAt: Date.now() + 60_000 }, socket);
  await settle();
  expect(deadlines.size).toBe(1);
  member.socketClosed();
  expect(deadlines.size).toBe(0);
});
