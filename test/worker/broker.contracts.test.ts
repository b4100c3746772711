import { env, runInDurableObject } from 'cloudflare:test';
import type { Broker } from '../../src/broker/broker.ts';
import type { Presence } from '../../src/broker/presence.ts';
import { DurableObjectBroker } from '../../src/worker/durable-object-broker.ts';
import { RoomLog } from '../../src/worker/room-log.ts';
import { type ReplicaPair, runContracts } from '../support/backends.ts';

/** The broker and presence contracts over the backends that run in workerd (the list: support/backends.ts). */
runContracts('workerd', {
  'Durable Object': { start: async () => ({ pair: roomObjectPair }) },
});

/**
 * A room object's own broker over its SQLite storage, its presence too: the
 * room's one replica, so `a` and `b` are the same. Storage answers only inside
 * its object, so every call is made there.
 */
async function roomObjectPair(historySize: number): Promise<ReplicaPair> {
  const stub = env.ROOMS.get(env.ROOMS.newUniqueId());
  const inside = <T>(call: () => T | Promise<T>) => runInDurableObject(stub, call);
  const object = await runInDurableObject(stub, (_instance, state) => new DurableObjectBroker(new RoomLog(state.storage.sql, historySize)));
  const broker: Broker = {
    publish: (request) => inside(() => object.publish(request)),
    subscribe: (room, listener) => inside(() => object.subscribe(room, listener)),
    unsubscribe: (room, listener) => inside(() => object.unsubscribe(room, listener)),
    history: (room, since) => inside(() => object.history(room, since)),
    page: (room, request) => inside(() => object.page(room, request)),
    isReady: () => object.isReady(),
    close: () => inside(() => object.close()),
  };
  const presence: Presence = {
    join: (room, member) => inside(() => object.join(room, member)),
    leave: (room, member) => inside(() => object.leave(room, member)),
    members: (room) => inside(() => object.members(room)),
  };
  const replica = { broker, presence };
  return { a: replica, b: replica, close: async () => {} };
}
