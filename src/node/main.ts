import type { Config } from '../config/config.ts';
import { MemoryBroker, MemoryBus } from '../broker/memory.ts';
import type { Broker } from '../broker/broker.ts';
import { exitOnListenError, readConfig } from './env-config.ts';
import { createLogger } from './logger.ts';
import { startReplica } from './replica.ts';
import { exitOnSignals } from './shutdown.ts';

function createBroker(config: Config): Broker {
  if (config.redisUrl !== undefined) {
    console.error('chat: REDIS_URL is set, but this version has only the in-memory broker; unset REDIS_URL');
    process.exit(2);
  }
  return new MemoryBroker(new MemoryBus({ historySize: config.historySize }));
}

const config = readConfig();
const log = createLogger(config);
const replica = await startReplica({ config, broker: createBroker(config), log }).catch(exitOnListenError);
log.info({ url: replica.url, broker: 'memory' }, `listening on ${replica.url}`);
exitOnSignals(replica.close, log);
