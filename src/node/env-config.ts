import { hostname } from 'node:os';
import { ConfigError, parseConfig, type Config } from '../config/config.ts';

/** The configuration from process.env; a bad value ends the process with one line naming it. */
export function readConfig(): Config {
  try {
    return parseConfig(process.env, { instanceId: `${hostname()}-${process.pid}` });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`chat: ${err.message}`);
    process.exit(2);
  }
}

/** A start that cannot listen ends with one line that says what to change. */
export function exitOnListenError(err: unknown): never {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    const { address, port } = err as NodeJS.ErrnoException & { address?: string; port?: number };
    const why = code === 'EADDRINUSE' ? 'is in use' : code === 'EACCES' ? 'is not allowed' : 'is not available';
    console.error(`chat: ${address ?? ''}:${port ?? ''} ${why}; set PORT (and HOST) to another`);
    process.exit(2);
  }
  throw err;
}
