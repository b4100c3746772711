import { MemoryBroker, MemoryBus } from '../../src/broker/memory.ts';
import { parseConnectRequest } from '../../src/protocol/index.ts';
import { RoomRegistry, type Logger, type Member } from '../../src/room/index.ts';
import { FakeSocket } from './fake-socket.ts';
import { eventually } from './eventually.ts';

export const quietLog: Logger = { info() {}, warn() {}, error() {} };

export interface WorldOptions {
  replicas?: number;
  rateLimit?: number;
  maxFrameBytes?: number;
  sendBufferLimit?: number;
  historySize?: number;
  presenceLimit?: number;
}

/** Replicas in one process, one in-memory bus, fake sockets: the room's logic without the network. */
export function createRoomWorld(options: WorldOptions = {}) {
  let clock = 1_000_000;
  const now = () => clock;
  const bus = new MemoryBus({ historySize: options.historySize ?? 1000, now });
  const registries = Array.from({ length: options.replicas ?? 2 }, (_, i) => {
    const broker = new MemoryBroker(bus);
    return new RoomRegistry({
      broker,
      presence: broker,
      instance: `node-${i + 1}`,
      rateLimit: options.rateLimit ?? 20,
      maxFrameBytes: options.maxFrameBytes ?? 16 * 1024,
      sendBufferLimit: options.sendBufferLimit ?? 1024 * 1024,
      presenceLimit: options.presenceLimit ?? 1000,
      log: quietLog,
      now,
    });
  });

  async function join(replica: number, room: string, name: string, socket = new FakeSocket(), since?: string) {
    const member: Member = registries[replica]!.connect(parseConnectRequest(room, name, since), socket);
    const welcome = await eventually(() => {
      const w = socket.ofType('welcome')[0];
      if (!w) throw new Error(`${name} got no welcome`);
      return w;
    });
    return { member, socket, welcome };
  }

  return {
    bus,
    registries,
    join,
    advance(ms: number) {
      clock += ms;
    },
  };
}

/** Lets pending promise callbacks run. */
export const settle = () => new Promise((r) => setTimeout(r, 0));
