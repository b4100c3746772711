import { MemoryBroker, MemoryBus } from '../src/broker/memory.ts';
import { brokerContract } from './support/broker-contract.ts';

brokerContract('memory', async () => {
  const bus = new MemoryBus({ historySize: 100 });
  return { a: new MemoryBroker(bus), b: new MemoryBroker(bus), historySize: 100, close: async () => {} };
});
