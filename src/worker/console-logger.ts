import type { Logger } from '../logger.ts';

/** One JSON line per event, which Workers Logs and `wrangler tail` index by field. */
export function consoleLogger(base: object = {}): Logger {
  const line = (level: string, context: object, msg: string): string =>
    JSON.stringify({ level, ...base, ...context, msg }, (_key, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value,
    );
  return {
    info: (context, msg) => console.log(line('info', context, msg)),
    warn: (context, msg) => console.warn(line('warn', context, msg)),
    error: (context, msg) => console.error(line('error', context, msg)),
  };
}
