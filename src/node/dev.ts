import { MemoryBroker, MemoryBus } from '../broker/memory.ts';
import { exitOnListenError, readConfig } from './env-config.ts';
import { createLogger } from './logger.ts';
import { startReplica } from './replica.ts';
import { exitOnSignals } from './shutdown.ts';

/** `npm run dev`: two replicas in one process, joined by one in-memory bus, on PORT and PORT+1. */
const base = readConfig();
const PORTS = [base.port, base.port + 1];
if (base.port === 65535) {
  console.error('chat: PORT=65535 leaves no room for the second replica on PORT+1');
  process.exit(2);
}
const bus = new MemoryBus({ historySize: base.historySize });
const replicas = await Promise.all(
  PORTS.map((port, i) => {
    const config = { ...base, port, instanceId: `node-${i + 1}` };
    return startReplica({ config, broker: new MemoryBroker(bus), log: createLogger(config) });
  }),
).catch(exitOnListenError);
console.log(`\nTwo replicas, joined by the in-memory broker:`);
for (const [i, replica] of replicas.entries()) console.log(`  node-${i + 1}: ${replica.url}`);
console.log(`Open one tab on each, in the same room. Ctrl-C stops both.\n`);
exitOnSignals(async () => {
  await Promise.all(replicas.map((r) => r.close()));
}, createLogger({ ...base, instanceId: 'dev' }));
