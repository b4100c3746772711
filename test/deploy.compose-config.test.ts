import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { upstreamServer } from './support/nginx.ts';
import { toolAvailable } from './support/tool.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const run = toolAvailable('docker-compose', ['version'], 'REQUIRE_DOCKER_COMPOSE', 'apt-get install docker-compose');

/** docker-compose.yml as `docker-compose config` reads it: valid, and the topology the README describes. */
function composeConfig(env: Record<string, string> = {}): any {
  const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
  });
  return parse(out);
}

/** A volume as docker-compose 1 writes it (`src:target:ro`) or as Compose 2 does (an object). */
function mount(volume: string | { source: string; target: string; read_only?: boolean }) {
  if (typeof volume !== 'string') return { source: volume.source, target: volume.target, readOnly: volume.read_only === true };
  const [source, target, mode] = volume.split(':');
  return { source, target, readOnly: mode === 'ro' };
}

describe.runIf(run)('docker-compose.yml', () => {
  it('is accepted by docker-compose config, and runs Redis, hub1, hub2, a scalable hub and nginx', () => {
    const { services } = composeConfig();
    expect(Object.keys(services).sort()).toEqual(['hub', 'hub1', 'hub2', 'nginx', 'redis']);
  });

  it('gives each named replica its instance id and its own port, and every replica the same Redis', () => {
    const { services } = composeConfig({ REDIS_PASSWORD: 's3cret-pw' });
    expect(services.hub1.environment.INSTANCE_ID).toBe('hub1');
    expect(services.hub2.environment.INSTANCE_ID).toBe('hub2');
    expect(services.hub.environment.INSTANCE_ID).toBeUndefined();
    expect(services.hub1.ports).toEqual([expect.objectContaining({ published: 9081, target: 8080 })]);
    expect(services.hub2.ports).toEqual([expect.objectContaining({ published: 9082, target: 8080 })]);
    expect(services.hub.ports).toBeUndefined();
    for (const name of ['hub', 'hub1', 'hub2']) {
      expect(services[name].environment.REDIS_URL).toBe('redis://chat:s3cret-pw@redis:6379');
      expect(services[name].depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    }
    expect(services.redis.environment).toEqual({ REDIS_USER: 'chat', REDIS_PASSWORD: 's3cret-pw' });
    expect(services.redis.healthcheck.test.join(' ')).toContain('ping');
  });

  it('puts nginx on 8080 in front of every replica, with deploy/nginx.conf rendered as the tests render it', () => {
    const { services } = composeConfig();
    const nginx = services.nginx;
    expect(nginx.ports).toEqual([expect.objectContaining({ published: 8080, target: 8080 })]);
    expect(nginx.volumes.map(mount)).toEqual([
      { source: `${ROOT}deploy/nginx.conf`, target: '/etc/nginx/templates/chat.conf.template', readOnly: true },
    ]);
    // The same server lines as the proxy tests, so the two homes cannot drift.
    expect(nginx.environment.CHAT_UPSTREAM_SERVERS).toBe(['hub1:8080', 'hub2:8080', 'hub:8080'].map(upstreamServer).join(' '));
    expect(nginx.environment.CHAT_LISTEN).toBe('8080');
    expect(nginx.depends_on).toEqual({
      hub: { condition: 'service_healthy' },
      hub1: { condition: 'service_healthy' },
      hub2: { condition: 'service_healthy' },
    });
  });
});
