import { MemoryBroker } from '../src/broker/memory.ts';
import { describeProtocolConformance } from './conformance/protocol-suite.ts';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';

/** The Node server with its in-memory broker: PROTOCOL.md's conformance suite, every row. */
let set: ReplicaSet;

describeProtocolConformance({
  runtime: 'Node (in-memory broker)',
  async start() {
    set = await startReplicas(1);
    return { port: set.replicas[0]!.port, close: () => set.close() };
  },
  breakBroker() {
    set.bus.setAvailable(false);
    return () => set.bus.setAvailable(true);
  },
  async flood(room, count, text) {
    const feeder = new MemoryBroker(set.bus);
    for (let i = 0; i < count; i++) {
      await feeder.publish({ room, from: { id: 'c_feeder', name: 'feeder' }, text });
      if (i % 200 === 0) await new Promise((r) => setTimeout(r, 5));
    }
  },
  shutdown: () => set.replicas[0]!.close(),
});
