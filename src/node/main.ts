import type { Config } from '../config/config.ts';
import { MemoryBroker, MemoryBus } from '../broker/memory.ts';
import type { Broker } from '../broker/broker.ts';
import { RedisBroker, redisAddress } from '../broker/redis.ts';
import type { Logger } from '../logger.ts';
import { exitOnListenError, readConfig } from './env-config.ts';
import { createLogger } from './logger.ts';
import { startReplica } from './replica.ts';
import { exitOnSignals } from './shutdown.ts';

function createBroker(config: Config, log: Logger): Broker {
  if (config.redisUrl === undefined) return new MemoryBroker(new MemoryBus({ historySize: config.historySize }));
  return new RedisBroker({ url: config.redisUrl, instance: config.instanceId, historySize: config.historySize, log });
}

const config = readConfig();
const log = createLogger(config);
const replica = await startReplica({ config, broker: createBroker(config, log), log }).catch(exitOnListenError);
const broker = config.redisUrl === undefined ? 'memory' : redisAddress(config.redisUrl);
log.info({ url: replica.url, broker }, `listening on ${replica.url}`);
exitOnSignals(replica.close, log);
