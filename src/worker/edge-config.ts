import { type Config, ConfigError, parseConfig } from '../config/config.ts';
import type { Env } from './env.ts';

/**
 * A recovery with `since` is read whole into the object's memory (128 MB at
 * most) and workerd gives no way to pace it to the reader, so a room keeps
 * fewer messages at the edge than a replica may: 2,000 of the longest
 * (2,000 characters) stay well under the limit.
 */
export const EDGE_MAX_HISTORY_SIZE = 2000;

/** Each env object's variables, read once: the Worker asks for them on every request. */
const configs = new WeakMap<Env, Config>();

/** The variables the edge reads (wrangler.toml `[vars]`), checked as on Node; throws ConfigError. */
export function edgeConfig(env: Env): Config {
  let config = configs.get(env);
  if (!config) {
    config = parseEdgeConfig(env);
    configs.set(env, config);
  }
  return config;
}

function parseEdgeConfig(env: Env): Config {
  const config = parseConfig(env as unknown as Record<string, string | undefined>, { instanceId: 'edge' });
  if (config.historySize > EDGE_MAX_HISTORY_SIZE) {
    throw new ConfigError(`HISTORY_SIZE=${JSON.stringify(env.HISTORY_SIZE)} is not valid at the edge: expected at most ${EDGE_MAX_HISTORY_SIZE}`);
  }
  return config;
}
