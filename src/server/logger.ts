import { pino } from 'pino';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';

/** JSON lines on stdout, each with the instance that wrote it. */
export function createLogger(config: Pick<Config, 'logLevel' | 'instanceId'>): Logger {
  return pino({ level: config.logLevel, base: { instance: config.instanceId } });
}
