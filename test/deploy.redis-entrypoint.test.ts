import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { redisAvailable } from './support/redis-server.ts';
import { startReplicaProcess, waitReady, type ReplicaProcess } from './support/replica-processes.ts';
import { ServiceProcess, freePort } from './support/service-process.ts';
import { TestClient } from './support/test-client.ts';

/**
 * The compose file's Redis, run here with Debian's redis-server: its entrypoint
 * renders deploy/redis-acl.template, so the default user is off and the chat
 * user can do what the service needs; its health check is the compose file's.
 */
const ROOT = new URL('..', import.meta.url).pathname;
const ENTRYPOINT = join(ROOT, 'deploy/redis-entrypoint.sh');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));
const PASSWORD = 'pw-for.the_test~1';

describe.runIf(redisAvailable())('the compose Redis entrypoint', () => {
  let dir: string;
  let port: number;
  let redis: ServiceProcess;
  let replica: ReplicaProcess;
  const env = () => ({ REDIS_USER: 'chat', REDIS_PASSWORD: PASSWORD, REDIS_ACL_TEMPLATE: join(ROOT, 'deploy/redis-acl.template'), REDIS_ACL_FILE: join(dir, 'users.acl') });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chat-redis-entry-'));
    port = await freePort();
    redis = ServiceProcess.run('redis (entrypoint)', 'sh', [ENTRYPOINT, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], env());
    await redis.waitFor(/Ready to accept connections/);
    replica = await startReplicaProcess('hub1', { REDIS_URL: `redis://chat:${PASSWORD}@127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await replica?.service.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets a replica work as the chat user', async () => {
    await waitReady(replica);
    const { client } = await TestClient.join(replica.wsUrl('lobby', { name: 'alice' }));
    expect(await client.say('through the ACL')).toMatchObject({ type: 'ack' });
    client.close();
  });

  it('turns the default user off', () => {
    const out = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    expect(out.stdout + out.stderr).toMatch(/NOAUTH|WRONGPASS|no password/i);
  });

  it("passes the compose file's health check", () => {
    const [kind, command] = compose.services.redis.healthcheck.test as string[];
    expect(kind).toBe('CMD-SHELL');
    // Compose turns $$ into $; the shell then reads the container's variables.
    const shell = command!.replaceAll('$$', '$').replace('redis-cli', `redis-cli -p ${port}`);
    expect(() => execFileSync('sh', ['-c', shell], { env: { ...process.env, ...env() } })).not.toThrow();
  });

  it('refuses, in one line and with exit 2, a password a URL would not carry as it is', () => {
    const out = spawnSync('sh', [ENTRYPOINT], { env: { ...process.env, ...env(), REDIS_PASSWORD: 'p@ss:word' }, encoding: 'utf8' });
    expect(out.status).toBe(2);
    expect(out.stderr.trim()).toBe('redis: REDIS_USER and REDIS_PASSWORD may hold only A-Z a-z 0-9 . _ ~ -');
  });
});
