import { env, runInDurableObject } from 'cloudflare:test';
import type { Broker } from '../../src/broker/broker.ts';
import { DurableObjectBroker } from '../../src/worker/durable-object-broker.ts';
import { RoomLog } from '../../src/worker/room-log.ts';
import { brokerContract } from '../support/broker-contract.ts';

/**
 * The broker contract every broker passes, against a room object's own broker
 * over its SQLite storage. Storage answers only inside its object, so every
 * call is made there.
 */
brokerContract(
  'Durable Object',
  async (historySize) => {
    const stub = env.ROOMS.get(env.ROOMS.newUniqueId());
    const inside = <T>(call: () => T | Promise<T>) => runInDurableObject(stub, call);
    const broker = await runInDurableObject(stub, (_instance, state) => new DurableObjectBroker(new RoomLog(state.storage.sql, historySize)));
    const viaObject: Broker = {
      publish: (request) => inside(() => broker.publish(request)),
      subscribe: (room, listener) => inside(() => broker.subscribe(room, listener)),
      unsubscribe: (room, listener) => inside(() => broker.unsubscribe(room, listener)),
      history: (room, since) => inside(() => broker.history(room, since)),
      page: (room, request) => inside(() => broker.page(room, request)),
      join: (room, member) => inside(() => broker.join(room, member)),
      leave: (room, member) => inside(() => broker.leave(room, member)),
      members: (room) => inside(() => broker.members(room)),
      isReady: () => broker.isReady(),
      close: () => inside(() => broker.close()),
    };
    return { a: viaObject, b: viaObject, close: async () => {} };
  },
  { oneReplica: 'a room object holds all its members; when it goes, the room goes with it' },
);
