import { expect, it } from 'vitest';
import { MemoryBroker, MemoryBus } from '../src/broker/memory.ts';
import type { RoomEvent, RoomListener } from '../src/broker/broker.ts';
import { parseConnectRequest } from '../src/protocol/index.ts';
import { RoomRegistry } from '../src/room/index.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { quietLog, settle } from './support/room-world.ts';

/**
 * A broker whose live events can lag behind its history, as with Redis, where
 * history and pub/sub come back on different connections.
 */
class LaggingBroker extends MemoryBroker {
  held: Array<() => void> = [];
  beforeHistory: () => Promise<void> = async () => {};

  override subscribe(room: string, listener: RoomListener): Promise<void> {
    return super.subscribe(room, (event: RoomEvent) => this.held.push(() => listener(event)));
  }

  override async history(room: string, since: string | undefined) {
    await this.beforeHistory();
    return super.history(room, since);
  }

  release(): void {
    for (const deliver of this.held.splice(0)) deliver();
  }
}

const registryOn = (broker: MemoryBroker) =>
  new RoomRegistry({ broker, presence: broker, instance: 'node-2', rateLimit: 20, maxFrameBytes: 16384, sendBufferLimit: 1 << 20, presenceLimit: 1000, log: quietLog });

it('sends a message once when its live copy arrives after the backlog that already held it', async () => {
  const bus = new MemoryBus();
  const sender = new MemoryBroker(bus);
  const lagging = new LaggingBroker(bus);
  const registry = registryOn(lagging);
  const from = { id: 'c_sender', name: 'sender' };
  await sender.publish({ room: 'flow', from, text: 'm0' });
  // Published after the subscription took effect, before history is read: in the backlog, and still on its way live.
  lagging.beforeHistory = async () => {
    for (const text of ['m1', 'm2']) await sender.publish({ room: 'flow', from, text });
  };

  const socket = new FakeSocket();
  registry.connect(parseConnectRequest('flow', 'joiner', undefined), socket);
  await settle();
  expect(socket.ofType('welcome')[0]).toMatchObject({ backlog: 3 });

  lagging.release();
  await sender.publish({ room: 'flow', from, text: 'm3' });
  lagging.release();
  expect(socket.ofType('message').map((m) => m.text)).toEqual(['m0', 'm1', 'm2', 'm3']);
});

it('after a recovery with nothing missed, drops a late live copy of the message at since', async () => {
  const bus = new MemoryBus();
  const sender = new MemoryBroker(bus);
  const lagging = new LaggingBroker(bus);
  const registry = registryOn(lagging);
  const from = { id: 'c_sender', name: 'sender' };
  let since = '';
  lagging.beforeHistory = async () => {
    since = (await sender.publish({ room: 'flow', from, text: 'seen before reconnecting' })).id;
  };
  const socket = new FakeSocket();
  // The client saw the message on its old connection; its live copy reaches this replica late.
  registry.connect(parseConnectRequest('flow', 'back', undefined), new FakeSocket());
  await settle();
  lagging.beforeHistory = async () => {};
  registry.connect(parseConnectRequest('flow', 'joiner', since), socket);
  await settle();
  expect(socket.ofType('welcome')[0]).toMatchObject({ recovered: true, backlog: 0 });
  lagging.release();
  await sender.publish({ room: 'flow', from, text: 'next' });
  lagging.release();
  expect(socket.ofType('message').map((m) => m.text)).toEqual(['next']);
});

it('closes with 1012 a member whose upgrade finished after shutdown began, and is no longer ready', async () => {
  const registry = registryOn(new MemoryBroker());
  registry.shutdown();
  expect(registry.isReady()).toBe(false);
  const socket = new FakeSocket();
  registry.connect(parseConnectRequest('late', 'late', undefined), socket);
  expect(socket.closedWith?.code).toBe(1012);
  expect([registry.connections, registry.roomCount]).toEqual([0, 0]);
});
