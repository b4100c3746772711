import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { upstreamServer } from './support/nginx.ts';
import { toolAvailable } from './support/tool.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const run = toolAvailable('docker-compose', ['version'], 'REQUIRE_DOCKER_COMPOSE', 'apt-get install docker-compose');
const HOW_TO_SET = 'set REDIS_PASSWORD in .env: echo REDIS_PASSWORD=`openssl rand -hex 24` >> .env';
const REPLICAS = ['hub', 'hub1', 'hub2'];

// A .env of the test's own: one in the checkout (a developer's) must not stand in for the environment.
const envDir = mkdtempSync(join(tmpdir(), 'chat-compose-env-'));
afterAll(() => rmSync(envDir, { recursive: true, force: true }));

function envFile(contents: string): string {
  const file = join(envDir, `${Math.random().toString(36).slice(2)}.env`);
  writeFileSync(file, contents);
  return file;
}

/** `docker-compose config` with only this environment and .env file: its exit status, output and errors. */
function composeConfigRun(env: Record<string, string>, dotEnv = '') {
  return spawnSync('docker-compose', ['--env-file', envFile(dotEnv), '-f', 'docker-compose.yml', 'config'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
  });
}

/** docker-compose.yml as `docker-compose config` reads it: valid, and the topology docs/containers.md describes. */
function composeConfig(env: Record<string, string> = { REDIS_PASSWORD: 's3cret-pw' }, dotEnv = ''): any {
  const out = composeConfigRun(env, dotEnv);
  if (out.status !== 0) throw new Error(`docker-compose config failed: ${out.stderr}`);
  return parse(out.stdout);
}

/** A volume as docker-compose 1 writes it (`src:target:ro`) or as Compose 2 does (an object). */
function mount(volume: string | { source: string; target: string; read_only?: boolean }) {
  if (typeof volume !== 'string') return { source: volume.source, target: volume.target, readOnly: volume.read_only === true };
  const [source, target, mode] = volume.split(':');
  return { source, target, readOnly: mode === 'ro' };
}

/** A published port as docker-compose 1 writes it (an object, or `ip:published:target/tcp` with a host address) or as Compose 2 does. */
function published(port: string | { host_ip?: string; published: number | string; target: number }) {
  if (typeof port !== 'string') return { hostIp: port.host_ip ?? '', published: Number(port.published), target: port.target };
  const [hostIp, outside, inside] = port.split(':');
  return { hostIp, published: Number(outside), target: Number.parseInt(inside!, 10) };
}

describe.runIf(run)('docker-compose.yml', () => {
  it('is accepted by docker-compose config, and runs Redis, hub1, hub2, a scalable hub and nginx', () => {
    const { services } = composeConfig();
    expect(Object.keys(services).sort()).toEqual(['hub', 'hub1', 'hub2', 'nginx', 'redis']);
  });

  it('refuses to start without REDIS_PASSWORD, saying how to set it, and takes it from the environment or .env', () => {
    for (const missing of [{}, { REDIS_PASSWORD: '' }] as Record<string, string>[]) {
      const refused = composeConfigRun(missing);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain(HOW_TO_SET);
    }
    expect(composeConfig({}, 'REDIS_PASSWORD=from-dot-env\n').services.redis.environment.REDIS_PASSWORD).toBe('from-dot-env');
    // No default hides anywhere: the text of the file names none either.
    expect(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')).not.toMatch(/change-me|\$\{REDIS_PASSWORD(?!:\?)/);
  });

  it('gives each named replica its instance id and its own port on loopback only, and every replica the same Redis', () => {
    const { services } = composeConfig();
    expect(services.hub1.environment.INSTANCE_ID).toBe('hub1');
    expect(services.hub2.environment.INSTANCE_ID).toBe('hub2');
    expect(services.hub.environment.INSTANCE_ID).toBeUndefined();
    expect(services.hub1.ports.map(published)).toEqual([{ hostIp: '127.0.0.1', published: 9081, target: 8080 }]);
    expect(services.hub2.ports.map(published)).toEqual([{ hostIp: '127.0.0.1', published: 9082, target: 8080 }]);
    expect(services.hub.ports).toBeUndefined();
    for (const name of REPLICAS) {
      expect(services[name].environment.REDIS_URL).toBe('redis://chat:s3cret-pw@redis:6379');
      expect(services[name].depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    }
    expect(services.redis.environment).toEqual({ REDIS_USER: 'chat', REDIS_PASSWORD: 's3cret-pw' });
    expect(services.redis.healthcheck.test.join(' ')).toContain('ping');
  });

  it('caps every replica at 100 members an address, read from the X-Forwarded-For nginx adds', () => {
    const { services } = composeConfig();
    for (const name of REPLICAS) {
      expect({ name, ...services[name].environment }).toMatchObject({ name, MAX_CONNECTIONS_PER_IP: '100', TRUST_PROXY: '1' });
    }
  });

  it('puts nginx on 8080 in front of every replica, with deploy/nginx-main.conf and deploy/nginx.conf rendered as the tests run them', () => {
    const { services } = composeConfig();
    const nginx = services.nginx;
    expect(nginx.ports.map(published)).toEqual([{ hostIp: '', published: 8080, target: 8080 }]);
    expect(nginx.volumes.map(mount)).toEqual([
      { source: `${ROOT}deploy/nginx-main.conf`, target: '/etc/nginx/nginx.conf', readOnly: true },
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

describe('deploy/nginx-main.conf', () => {
  const main = readFileSync(join(ROOT, 'deploy/nginx-main.conf'), 'utf8').replace(/#.*$/gm, '');
  const directive = (name: string) => [...main.matchAll(new RegExp(`^\\s*${name}\\s+([^;]+);`, 'gm'))].map((m) => m[1]!.trim());

  it('holds 10,000 members a worker: two connections each, and a descriptor for each connection', () => {
    const [connections] = directive('worker_connections').map(Number);
    const [files] = directive('worker_rlimit_nofile').map(Number);
    expect(connections).toBeGreaterThanOrEqual(20_480);
    expect(files).toBeGreaterThan(connections!);
  });

  it('logs requests without their query string, where tokens travel', () => {
    const formats = [...main.matchAll(/^\s*log_format\s+(\S+)\s+([^;]+);/gm)].map((m) => ({ name: m[1]!, text: m[2]! }));
    expect(formats.length).toBeGreaterThan(0);
    for (const { text } of formats) {
      expect(text).not.toMatch(/\$(request|request_uri|args|query_string|arg_\w+|is_args|http_referer)\b/);
      expect(text).toContain('$uri');
    }
    const logs = directive('access_log');
    expect(logs.length).toBeGreaterThan(0);
    for (const log of logs) expect(formats.map((f) => f.name)).toContain(log.split(/\s+/)[1]);
  });
});
