import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';

type LogLevel = Config['logLevel'];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * One JSON line per event, which Workers Logs and `wrangler tail` index by
 * field; lines under LOG_LEVEL (`level()`, read at each line: the Worker
 * learns its variables with its first request) are dropped.
 */
export function consoleLogger(base: object = {}, level: () => LogLevel = () => 'info'): Logger {
  const line = (name: LogLevel, context: object, msg: string): string =>
    JSON.stringify({ level: name, ...base, ...context, msg }, (_key, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value,
    );
  const at = (name: LogLevel, write: (text: string) => void) => (context: object, msg: string) => {
    if (RANK[name] >= RANK[level()]) write(line(name, context, msg));
  };
  return {
    debug: at('debug', (text) => console.debug(text)),
    info: at('info', (text) => console.log(text)),
    warn: at('warn', (text) => console.warn(text)),
    error: at('error', (text) => console.error(text)),
  };
}
