import { type Access, createAccess } from '../../routes/access.ts';
import { AuthKeyError } from '../auth/token-verifier.ts';
import type { Config } from '../config/config.ts';
import type { ServerHost } from './host.ts';

/** The configured key and origins, read once at start; a key that cannot be used ends the process with one line and exit code 2. */
export async function readAccess(config: Config, host: ServerHost): Promise<Access> {
  try {
    return await createAccess(config);
  } catch (err) {
    if (!(err instanceof AuthKeyError)) throw err;
    host.printError(`chat: ${err.message}`);
    return host.exit(2);
  }
}

/** What the start line says of it, so an operator sees at once whether tokens are on (never the key). */
export function accessSummary(access: Access): { tokens: string; origins: string } {
  return { tokens: access.verifier?.algorithm ?? 'off', origins: access.originAllowed ? 'allow-list' : 'any' };
}
