import { type Access, createAccess } from '../../routes/access.ts';
import type { TokenClaims } from '../auth/claims.ts';
import { edgeConfig } from './edge-config.ts';
import type { Env } from './env.ts';

/** One Access per env object: an isolate imports its key once, not once a request. */
const accesses = new WeakMap<Env, Promise<Access>>();

/**
 * Who may connect at the edge, from the Worker's variables. A bad variable
 * throws ConfigError and a key that cannot be imported rejects with
 * AuthKeyError: the app answers each connection with 500 and a log line
 * naming the variable (never its value), as for any other bad variable.
 */
export function edgeAccess(env: Env): Promise<Access> {
  let access = accesses.get(env);
  if (!access) {
    access = createAccess(edgeConfig(env));
    accesses.set(env, access);
  }
  return access;
}

/** For the room's object: a `refresh`'s token, checked with the Worker's key; undefined when there is no key. */
export function edgeTokenCheck(env: Env): ((token: string) => Promise<TokenClaims>) | undefined {
  const { auth } = edgeConfig(env);
  if (auth.secret === undefined && auth.publicKey === undefined) return undefined;
  // With a key set, createTokenVerifier makes a verifier (or rejects).
  return async (token) => (await edgeAccess(env)).verifier!.verify(token);
}
