import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';

type Env = Record<string, string | undefined>;

/**
 * JSON lines on stdout, each with the instance that wrote it. With
 * LOG_PRETTY=1 and pino-pretty installed (it is not a dependency: a
 * developer adds it), coloured lines for a person instead; without it, JSON
 * and one warning saying so.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'instanceId'>, env: Env = globalThis.process?.env ?? {}): Logger {
  const options = { level: config.logLevel, base: { instance: config.instanceId } };
  const pretty = env.LOG_PRETTY?.trim() ?? '';
  if (pretty === '' || pretty === '0') return pino(options);
  const target = pretty === '1' ? prettyTarget() : undefined;
  if (target) return pino({ ...options, transport: { target, options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  const log = pino(options);
  const why = pretty === '1' ? 'pino-pretty is not installed (npm install --no-save pino-pretty)' : `LOG_PRETTY=${JSON.stringify(pretty.slice(0, 20))} is not 0 or 1`;
  log.warn({}, `${why}; logging JSON`);
  return log;
}

/** Where pino-pretty is, resolved from here as pino would resolve its name; undefined when it is not installed. */
function prettyTarget(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('pino-pretty');
  } catch {
    return undefined;
  }
}
