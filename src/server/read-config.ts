import { ConfigError, parseConfig, type Config } from '../config/config.ts';
import type { ServerHost } from './host.ts';

/** The configuration from the environment; a bad value ends the process with one line naming it, and exit code 2. */
export function readConfig(host: ServerHost): Config {
  try {
    return parseConfig(host.env, { instanceId: host.defaultInstanceId });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    host.printError(`chat: ${err.message}`);
    return host.exit(2);
  }
}

/** The line for a start that cannot listen: what to change. */
export function listenRefusal(host: string, port: number, why: 'is in use' | 'is not allowed' | 'is not available'): string {
  return `chat: ${host}:${port} ${why}; set PORT (and HOST) to another`;
}

/** The line for a HOST that names no address: the lookup said it does not exist (ENOTFOUND), or could not answer now (EAI_AGAIN). */
export function unresolvedHost(host: string, code: 'ENOTFOUND' | 'EAI_AGAIN'): string {
  const why = code === 'ENOTFOUND' ? 'is not a known host name' : 'could not be looked up now';
  return `chat: HOST="${host}" ${why} (${code}); set HOST to a name or address of this machine`;
}
