import type { Context } from 'hono';
import { type Broker, BrokerUnavailableError, type Page, type PageRequest, type Published, type PublishRequest } from '../src/broker/broker.ts';
import type { Presence } from '../src/broker/presence.ts';
import { type MemberInfo, ProtocolError } from '../src/protocol/index.ts';

/**
 * What the HTTP API and the page's history route ask of a room, with checked
 * input: a replica answers from its broker, the Worker asks the room's object.
 */
export interface RoomService {
  /** Published to the room's members on every instance, or the first id of a re-sent `ref` (`duplicate`). */
  publish(c: Context, request: PublishRequest): Promise<Published>;
  page(c: Context, room: string, request: PageRequest): Promise<Page>;
  /** Everyone in the room on every instance. */
  members(c: Context, room: string): Promise<MemberInfo[]>;
}

const unavailable = (cause?: unknown) =>
  Object.assign(new ProtocolError('unavailable', 'the message broker is unreachable'), cause === undefined ? {} : { cause });

/**
 * A replica's rooms: its broker, and its presence for members, answering 503
 * `unavailable` while the broker cannot be reached (presence lives beside it).
 */
export function brokerRoomService(broker: Broker, presence: Presence): RoomService {
  async function call<T>(work: () => Promise<T>): Promise<T> {
    if (!broker.isReady()) throw unavailable();
    try {
      return await work();
    } catch (err) {
      throw err instanceof BrokerUnavailableError ? unavailable(err) : err;
    }
  }
  return {
    publish: (_c, request) => call(() => broker.publish(request)),
    page: (_c, room, request) => call(() => broker.page(room, request)),
    members: (_c, room) => call(() => presence.members(room)),
  };
}
