import { MemoryBroker, MemoryBus } from '../../src/broker/memory.ts';
import { parseConfig, type Config } from '../../src/config/config.ts';
import { createLogger } from '../../src/server/logger.ts';
import { startReplica, type Replica } from '../../src/node/replica.ts';

export interface ReplicaSet {
  bus: MemoryBus;
  replicas: Replica[];
  /** `ws://…/ws/<room>?<query>` on replica `i`. */
  wsUrl(i: number, room: string, query?: Record<string, string>): string;
  httpUrl(i: number, path: string): string;
  close(): Promise<void>;
}

/** `count` Node replicas on ephemeral loopback ports, joined by one in-memory bus. */
export async function startReplicas(count: number, overrides: Partial<Config> = {}): Promise<ReplicaSet> {
  const base = parseConfig({}, { instanceId: 'test' });
  const bus = new MemoryBus({
    historySize: overrides.historySize ?? base.historySize,
    roomTtlMs: (overrides.roomTtlSeconds ?? 0) * 1000,
  });
  const replicas: Replica[] = [];
  for (let i = 0; i < count; i++) {
    const config: Config = { ...base, port: 0, host: '127.0.0.1', instanceId: `node-${i + 1}`, logLevel: 'warn', ...overrides };
    const broker = new MemoryBroker(bus);
    replicas.push(await startReplica({ config, broker, presence: broker, log: createLogger(config) }));
  }
  return {
    bus,
    replicas,
    wsUrl: (i, room, query = {}) => {
      const qs = new URLSearchParams(query).toString();
      return `ws://127.0.0.1:${replicas[i]!.port}/ws/${room}${qs ? `?${qs}` : ''}`;
    },
    httpUrl: (i, path) => `http://127.0.0.1:${replicas[i]!.port}${path}`,
    close: async () => {
      await Promise.all(replicas.map((r) => r.close()));
    },
  };
}
