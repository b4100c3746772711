import { type Config, parseConfig } from '../config/config.ts';
import type { Env } from './env.ts';

/** The variables the edge reads (wrangler.toml `[vars]`), checked as on Node; throws ConfigError. */
export function edgeConfig(env: Env): Config {
  return parseConfig(env as unknown as Record<string, string | undefined>, { instanceId: 'edge' });
}
