import { MemoryBroker, MemoryBus } from '../broker/memory.ts';
import type { Config } from '../config/config.ts';
import { exitOnListenError } from './env-config.ts';
import { createLogger } from '../server/logger.ts';
import { exitOnSignals } from '../server/exit-on-signals.ts';
import { nodeHost } from './host.ts';
import { startReplica } from './replica.ts';

/** Two replicas in this process, joined by one in-memory bus, on PORT and PORT+1. */
export async function runMemoryPair(base: Config): Promise<void> {
  const bus = new MemoryBus({ historySize: base.historySize, roomTtlMs: base.roomTtlSeconds * 1000 });
  const replicas = await Promise.all(
    [base.port, base.port + 1].map((port, i) => {
      const config = { ...base, port, instanceId: `node-${i + 1}` };
      return startReplica({ config, broker: new MemoryBroker(bus), log: createLogger(config) });
    }),
  ).catch(exitOnListenError);
  console.log(`\nTwo replicas in one process, joined by the in-memory broker:`);
  for (const [i, replica] of replicas.entries()) console.log(`  node-${i + 1}: ${replica.url}`);
  console.log(`Open one tab on each, in the same room. Ctrl-C stops both.\n`);
  exitOnSignals(nodeHost, async () => {
    await Promise.all(replicas.map((r) => r.close()));
  }, createLogger({ ...base, instanceId: 'dev' }));
}
