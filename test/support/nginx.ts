import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/config.ts';
import { type ReplicaSet, startReplicas } from './replicas.ts';
import { ServiceProcess, freePort } from './service-process.ts';
import { toolAvailable } from './tool.ts';

const TEMPLATE = new URL('../../deploy/nginx.conf', import.meta.url);
const MAIN = new URL('../../deploy/nginx-main.conf', import.meta.url);

/** True when nginx can run; else the proxy tests skip, or fail under REQUIRE_NGINX=1 (CI). */
export function nginxAvailable(): boolean {
  return toolAvailable('nginx', ['-v'], 'REQUIRE_NGINX', 'apt-get install nginx');
}

/**
 * deploy/nginx.conf with its ${CHAT_…} variables replaced, as the nginx
 * image's envsubst does at start: only the variables given, nothing else.
 */
export function renderNginxConf(vars: Record<string, string>): string {
  return readFileSync(TEMPLATE, 'utf8').replace(/\$\{(CHAT_[A-Z_]+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** One replica in CHAT_UPSTREAM_SERVERS, as every home writes it (docker-compose.yml too: a test compares). */
export function upstreamServer(hostPort: string): string {
  return `server ${hostPort} max_fails=0;`;
}

export interface Nginx {
  readonly port: number;
  readonly process: ServiceProcess;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Keep the access log (off by default: thousands of lines would bury the error log a failure prints). */
  accessLog?: boolean;
}

/**
 * Debian's nginx running deploy/nginx-main.conf as it is, with the rendered
 * deploy/nginx.conf in its conf.d/, in front of replicas on loopback ports:
 * the folder the nginx image has. Only what a process of a test needs is
 * added (pid, one worker, temporary folders); its output is printed when a
 * test fails.
 */
export async function startNginx(upstreamPorts: number[], options: NginxOptions = {}): Promise<Nginx> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'chat-nginx-'));
  // Started as root, nginx's workers run as nobody: they must reach the config and write temp files.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'conf.d'), { mode: 0o755 });
  mkdirSync(join(dir, 'temp'), { mode: 0o777 });
  chmodSync(join(dir, 'temp'), 0o777);
  copyFileSync(MAIN, join(dir, 'nginx.conf'));
  const chat = renderNginxConf({
    CHAT_LISTEN: `127.0.0.1:${port}`,
    CHAT_UPSTREAM_SERVERS: upstreamPorts.map((p) => upstreamServer(`127.0.0.1:${p}`)).join('\n  '),
  });
  writeFileSync(join(dir, 'conf.d', 'chat.conf'), chat);
  writeFileSync(
    join(dir, 'conf.d', 'test.conf'),
    [
      // Debian's default temporary folders belong to www-data, not to nobody.
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/temp/${t};`),
      ...(options.accessLog ? [] : ['access_log off;']),
      '',
    ].join('\n'),
  );
  const args = ['-p', dir, '-e', 'stderr', '-c', join(dir, 'nginx.conf'), '-g', `daemon off; worker_processes 1; pid ${dir}/nginx.pid;`];
  // The access log is /dev/stdout, which nginx opens by its path: open(2)
  // refuses that with ENXIO when it is a Unix socket, as the stdio of Node's
  // children are (https://man7.org/linux/man-pages/man2/open.2.html#ERRORS).
  // A container's stdout is a pipe; `| cat` makes this one a pipe too.
  const nginx = ServiceProcess.run('nginx', 'sh', ['-c', 'nginx "$@" | cat', 'nginx', ...args]);
  const stop = async () => {
    await nginx.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitListening(port, nginx);
    return { port, process: nginx, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitListening(port: number, nginx: ServiceProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  let exited = false;
  void nginx.exited.then(() => (exited = true));
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.status === 200) return;
      throw new Error(`/healthz through nginx answered ${res.status}`);
    } catch (err) {
      if (exited) throw new Error(`nginx exited at start:\n${nginx.logs}`);
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port} within 10 s`, { cause: err });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export interface ReplicasBehindNginx {
  readonly replicas: ReplicaSet;
  readonly nginx: Nginx;
  /** `ws://…` through nginx, for a path such as `/ws/lobby?name=a`. */
  wsUrl(path: string): string;
  stop(): Promise<void>;
}

/** `count` replicas in this process (test/support/replicas.ts), with `overrides`, and nginx in front of them. */
export async function startReplicasBehindNginx(count: number, overrides: Partial<Config> = {}, options: NginxOptions = {}): Promise<ReplicasBehindNginx> {
  const replicas = await startReplicas(count, overrides);
  let nginx: Nginx;
  try {
    nginx = await startNginx(replicas.replicas.map((r) => r.port), options);
  } catch (err) {
    await replicas.close();
    throw err;
  }
  return {
    replicas,
    nginx,
    wsUrl: (path) => `ws://127.0.0.1:${nginx.port}${path}`,
    stop: async () => {
      await nginx.stop();
      await replicas.close();
    },
  };
}
