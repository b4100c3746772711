import { MemoryBroker, MemoryBus } from '../broker/memory.ts';
import type { Config } from '../config/config.ts';
import { exitOnListenError } from './env-config.ts';
import { createLogger } from '../server/logger.ts';
import { exitOnSignals } from '../server/exit-on-signals.ts';
import { nodeHost } from './host.ts';
import { startReplica } from './replica.ts';

/**
 * The replicas node-1…node-N in this process, on `ports`, joined by one
 * in-memory bus: one process, so any failure or signal ends them all.
 */
export async function runMemoryReplicas(base: Config, ports: readonly number[]): Promise<void> {
  const bus = new MemoryBus({ historySize: base.historySize, roomTtlMs: base.roomTtlSeconds * 1000 });
  const replicas = await Promise.all(
    ports.map((port, i) => {
      const config = { ...base, port, instanceId: `node-${i + 1}` };
      const broker = new MemoryBroker(bus);
      return startReplica({ config, broker, presence: broker, log: createLogger(config) });
    }),
  ).catch(exitOnListenError);
  console.log(`\n${count(replicas.length)} in one process, joined by the in-memory broker:`);
  for (const [i, replica] of replicas.entries()) console.log(`  node-${i + 1}: ${replica.url}`);
  console.log(`${replicas.length > 1 ? 'Open one tab on each, in the same room. ' : ''}Ctrl-C stops ${replicas.length > 1 ? 'all' : 'it'}.\n`);
  const log = createLogger({ ...base, instanceId: 'dev' });
  exitOnSignals(nodeHost, async () => {
    await Promise.all(replicas.map((r) => r.close()));
  }, log);
  // A closed terminal: stop as on Ctrl-C rather than die mid-write.
  process.once('SIGHUP', () => process.kill(process.pid, 'SIGTERM'));
}

export function count(replicas: number): string {
  return replicas === 1 ? 'One replica' : `${replicas} replicas`;
}
