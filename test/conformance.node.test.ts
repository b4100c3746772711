import { MemoryBroker } from '../src/broker/memory.ts';
import { type Config, parseConfig } from '../src/config/config.ts';
import { describeProtocolConformance } from './conformance/protocol-suite.ts';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';

/** The Node server with its in-memory broker: docs/protocol.md's conformance suite, every row. */
let set: ReplicaSet;

describeProtocolConformance({
  runtime: 'Node (in-memory broker)',
  connectionCaps: true,
  async start() {
    set = await startReplicas(1);
    return { port: set.replicas[0]!.port, close: () => set.close() };
  },
  async startWith(env) {
    const other = await startReplicas(1, configFrom(env));
    return { port: other.replicas[0]!.port, close: () => other.close() };
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

/** The settings `env` changes, read as a replica reads its environment. */
function configFrom(env: Record<string, string>): Partial<Config> {
  const defaults = parseConfig({}, { instanceId: 'test' });
  const read = parseConfig(env, { instanceId: 'test' });
  return Object.fromEntries(Object.entries(read).filter(([key, value]) => defaults[key as keyof Config] !== value));
}
