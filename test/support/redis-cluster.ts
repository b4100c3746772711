import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type RedisClusterConfig, parseConfig } from '../../src/config/config.ts';
import { eventually } from './eventually.ts';
import { showLogsOnFailure } from './process-logs.ts';
import { freePort } from './service-process.ts';
import { toolAvailable } from './tool.ts';

/**
 * Whether the cluster tests can run: they need redis-server and redis-cli;
 * without them they skip with one line saying why, and under CI=true or
 * REQUIRE_REDIS=1 their absence is a failure.
 */
export function redisClusterAvailable(): boolean {
  return (
    toolAvailable('redis-server', ['--version'], 'REQUIRE_REDIS', 'apt-get install redis-server') &&
    toolAvailable('redis-cli', ['--version'], 'REQUIRE_REDIS', 'apt-get install redis-tools')
  );
}

/** The chat user of deploy/redis-acl.template, as the single-node ACL test renders it. */
export const CHAT_USER = 'chat';
export const CHAT_PASSWORD = 'cluster-Secret-8d2c';
/** The tests' own user on every node: cluster administration, replication after a failover. */
const ADMIN_USER = 'admin';
const ADMIN_PASSWORD = 'admin-Secret-5b71';

/** deploy/redis-acl.template's `user` lines for the chat user: one template serves one Redis and a cluster. */
function chatAclLines(): string[] {
  return readFileSync(new URL('../../deploy/redis-acl.template', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('user '))
    .map((l) => l.replaceAll('${REDIS_USER}', CHAT_USER).replaceAll('${REDIS_PASSWORD}', CHAT_PASSWORD));
}

interface ClusterNode {
  readonly port: number;
  /** The ACL file it starts with. */
  readonly acl: string;
  process: ChildProcess;
  output: string;
}

export interface RedisClusterOptions {
  /** cluster-node-timeout: how long a master is unreachable before its replica takes over. */
  nodeTimeoutMs?: number;
  /** TLS only, clients, the cluster bus and replication alike, with this self-signed certificate (also the CA). */
  tls?: { certFile: string; keyFile: string };
}

/**
 * Six redis-servers of the test's own in cluster mode (three masters, a replica
 * each) on free loopback ports, keeping nothing on disk, with the chat ACL user
 * on every node (ACLs are per node: a promoted replica needs it too). Their
 * output is printed when a test fails; stop() kills all six and removes their
 * directory, also after a failed start.
 */
export class RedisCluster {
  private readonly nodes: ClusterNode[] = [];
  private readonly admins = new Map<number, Redis>();
  private readonly forgetLogs: Array<() => void> = [];
  private createOutput = '';
  private readonly dir = mkdtempSync(join(tmpdir(), 'chat-redis-cluster-'));

  private constructor(private readonly options: RedisClusterOptions) {}

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const cluster = new RedisCluster(options);
    try {
      await cluster.boot();
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** Every node's port, masters and replicas alike, in start order. */
  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  /** REDIS_CLUSTER_NODES for the chat user: the credentials on the first node, the other nodes as host:port. */
  get nodesEnv(): string {
    const [first, ...rest] = this.ports;
    const scheme = this.options.tls ? 'rediss' : 'redis';
    return [`${scheme}://${CHAT_USER}:${CHAT_PASSWORD}@127.0.0.1:${first}`, ...rest.map((p) => `127.0.0.1:${p}`)].join(',');
  }

  /** What a RedisBroker is given for REDIS_CLUSTER_NODES={@link nodesEnv}, parsed as a replica parses it. */
  get target(): RedisClusterConfig {
    return parseConfig({ REDIS_CLUSTER_NODES: this.nodesEnv }, { instanceId: 'test' }).redisCluster!;
  }

  /** Everything the nodes and `redis-cli --cluster create` printed. */
  get logs(): string {
    return [...this.nodes.map((n) => `--- node :${n.port} ---\n${n.output}`), `--- cluster create ---\n${this.createOutput}`].join('\n');
  }

  /** An admin connection to the node on `port` (kept, closed by stop). */
  admin(port: number): Redis {
    let client = this.admins.get(port);
    if (!client) {
      const tls = this.options.tls ? { tls: { ca: readFileSync(this.options.tls.certFile) } } : {};
      client = new Redis({ host: '127.0.0.1', port, username: ADMIN_USER, password: ADMIN_PASSWORD, maxRetriesPerRequest: 1, retryStrategy: () => null, ...tls });
      client.on('error', () => {});
      this.admins.set(port, client);
    }
    return client;
  }

  /** The slot a key (or shard channel) hashes to. */
  async slotOf(key: string): Promise<number> {
    return Number(await this.admin(this.livePorts()[0]!).cluster('KEYSLOT', key));
  }

  /** The port of the master serving `key`'s slot now, as a live node sees the slot map. */
  async masterForKey(key: string): Promise<number> {
    const slot = await this.slotOf(key);
    const ranges = await this.slotRanges();
    const range = ranges.find(({ from, to }) => from <= slot && slot <= to);
    if (!range) throw new Error(`no master serves slot ${slot}`);
    return range.master;
  }

  /** The ports of the masters that serve slots, as a live node sees them. */
  async masters(): Promise<number[]> {
    const ranges = await this.slotRanges();
    return [...new Set(ranges.map((r) => r.master))].sort((a, b) => a - b);
  }

  /** How many slots each master serves, by port. */
  async slotsPerMaster(): Promise<Map<number, number>> {
    const ranges = await this.slotRanges();
    const counts = new Map<number, number>();
    for (const { from, to, master } of ranges) counts.set(master, (counts.get(master) ?? 0) + to - from + 1);
    return counts;
  }

  /** The ports of the online replicas of the master serving `key`'s slot, as that master lists them (INFO replication). */
  async replicasForKey(key: string): Promise<number[]> {
    const info = String(await this.admin(await this.masterForKey(key)).info('replication'));
    return [...info.matchAll(/^slave\d+:ip=[^,]*,port=(\d+),state=online/gm)].map((m) => Number(m[1]));
  }

  /** SIGSTOPs the node on `port`: its connections stay open and it answers nothing until resume(). */
  pause(port: number): void {
    this.node(port).process.kill('SIGSTOP');
  }

  resume(port: number): void {
    this.node(port).process.kill('SIGCONT');
  }

  /**
   * Starts the node on `port` again, after kill(), with its cluster config
   * file and no data: it rejoins the cluster, as a replica of the master that
   * took its slots over if one did, and syncs from it. Resolves once it is a
   * replica whose link to its master is up.
   */
  async restart(port: number): Promise<void> {
    const node = this.node(port);
    if (node.process.exitCode === null && node.process.signalCode === null) throw new Error(`node :${port} is still running`);
    const from = node.output.length;
    node.process = this.spawnProcess(port, node.acl, (text) => (node.output += text));
    await waitForLine(node, /Ready to accept connections/, 10_000, from);
    await eventually(async () => {
      const info = String(await this.admin(port).info('replication'));
      if (!/role:slave/.test(info) || !/master_link_status:up/.test(info)) throw new Error(`node :${port} is not a synced replica yet:\n${info}`);
    }, 30_000);
  }

  /** SIGKILLs the master serving `key`; returns its port. Its replica takes over after the node timeout. */
  async killMaster(key: string): Promise<number> {
    const port = await this.masterForKey(key);
    await this.kill(port);
    return port;
  }

  /** SIGKILLs the node on `port`. */
  async kill(port: number): Promise<void> {
    const node = this.node(port);
    this.admins.get(port)?.disconnect();
    this.admins.delete(port);
    await killProcess(node.process);
    node.output += '\n[test] killed\n';
  }

  /**
   * Moves the slot of `key` to the master on `toPort`, keys and all, as
   * `redis-cli --cluster reshard` does for each slot: IMPORTING on the target,
   * MIGRATING on the source, MIGRATE of its keys, then the new owner told to
   * every master. While it moves, clients are redirected with ASK (and
   * TRYAGAIN for a script whose keys are split); once done, the source sends
   * SUNSUBSCRIBE to the slot's shard subscribers.
   */
  async moveSlot(key: string, toPort: number): Promise<void> {
    const slot = await this.slotOf(key);
    const fromPort = await this.masterForKey(key);
    if (fromPort === toPort) throw new Error(`slot ${slot} is already on :${toPort}`);
    const from = this.admin(fromPort);
    const to = this.admin(toPort);
    const fromId = String(await from.cluster('MYID'));
    const toId = String(await to.cluster('MYID'));
    await to.cluster('SETSLOT', slot, 'IMPORTING', fromId);
    await from.cluster('SETSLOT', slot, 'MIGRATING', toId);
    for (;;) {
      const keys = (await from.cluster('GETKEYSINSLOT', slot, 100)) as string[];
      if (keys.length === 0) break;
      await from.call('MIGRATE', '127.0.0.1', String(toPort), '', '0', '5000', 'AUTH2', ADMIN_USER, ADMIN_PASSWORD, 'KEYS', ...keys);
    }
    // The target first, as redis-cli does: a source that gives the slot up before could send clients nowhere.
    await to.cluster('SETSLOT', slot, 'NODE', toId);
    await from.cluster('SETSLOT', slot, 'NODE', toId);
    for (const port of await this.masters()) if (port !== fromPort && port !== toPort) await this.admin(port).cluster('SETSLOT', slot, 'NODE', toId);
  }

  /** Waits until every live node says cluster_state:ok and sees the same masters, each with a connected replica. */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    await eventually(async () => {
      for (const port of this.livePorts()) {
        const info = await this.admin(port).cluster('INFO');
        if (!/cluster_state:ok/.test(String(info))) throw new Error(`node :${port} is not ok yet:\n${info}`);
      }
    }, timeoutMs);
  }

  async stop(): Promise<void> {
    for (const client of this.admins.values()) client.disconnect();
    this.admins.clear();
    await Promise.all(this.nodes.map((n) => killProcess(n.process)));
    rmSync(this.dir, { recursive: true, force: true });
    for (const forget of this.forgetLogs) forget();
  }

  /** CLUSTER SLOTS as a live node answers it: each range with its master's port. */
  private async slotRanges(): Promise<Array<{ from: number; to: number; master: number }>> {
    const ranges = await this.admin(this.livePorts()[0]!).cluster('SLOTS');
    return ranges.map(([from, to, ...nodes]) => ({ from, to, master: Number(nodes[0]?.[1]) }));
  }

  private node(port: number): ClusterNode {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no node on :${port}`);
    return node;
  }

  private livePorts(): number[] {
    return this.nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null).map((n) => n.port);
  }

  private async boot(): Promise<void> {
    const acl = join(this.dir, 'acl.conf');
    writeFileSync(
      acl,
      [
        `user ${ADMIN_USER} on >${ADMIN_PASSWORD} ~* &* +@all`,
        // A replica that reconnects to its master (or follows a new one) authenticates as admin: the template turns `default` off.
        `masteruser ${ADMIN_USER}`,
        `masterauth ${ADMIN_PASSWORD}`,
        ...chatAclLines(),
      ].join('\n') + '\n',
    );
    for (const port of await clusterPorts(6)) this.nodes.push(this.spawnNode(port, acl));
    await Promise.all(this.nodes.map((n) => waitForLine(n, /Ready to accept connections/)));
    await this.create();
    await this.waitHealthy();
    await eventually(async () => {
      const masters = await this.masters();
      if (masters.length !== 3) throw new Error(`masters: ${masters.join(', ')}`);
      for (const port of this.ports) {
        const info = String(await this.admin(port).info('replication'));
        if (/role:slave/.test(info) && !/master_link_status:up/.test(info)) throw new Error(`replica :${port} has not synced:\n${info}`);
      }
    }, 20_000);
  }

  private spawnNode(port: number, acl: string): ClusterNode {
    const node: ClusterNode = { port, acl, output: '', process: this.spawnProcess(port, acl, (text) => (node.output += text)) };
    this.forgetLogs.push(showLogsOnFailure(`redis-server cluster node :${port}`, () => node.output));
    return node;
  }

  /** redis-server for the node on `port`, its output and errors handed to `print`. */
  private spawnProcess(port: number, acl: string, print: (text: string) => void): ChildProcess {
    const args = [
      acl,
      '--cluster-enabled', 'yes',
      '--cluster-config-file', join(this.dir, `nodes-${port}.conf`),
      '--cluster-node-timeout', String(this.options.nodeTimeoutMs ?? 2000),
      '--save', '',
      '--appendonly', 'no',
      // A replica started again (restart()) syncs at once, not after the default 5 s gathering of more replicas.
      '--repl-diskless-sync-delay', '0',
      ...this.listenArgs(port),
      '--bind', '127.0.0.1',
      '--dir', this.dir,
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => print(String(d)));
    child.stderr!.on('data', (d) => print(String(d)));
    child.on('error', (err) => print(`\n[test] ${err.message}\n`));
    return child;
  }

  /** The plain port, or with TLS no plain port at all and TLS on the client port, the bus and replication. */
  private listenArgs(port: number): string[] {
    const tls = this.options.tls;
    if (!tls) return ['--port', String(port)];
    return [
      '--port', '0',
      '--tls-port', String(port),
      '--tls-cluster', 'yes',
      '--tls-replication', 'yes',
      '--tls-cert-file', tls.certFile,
      '--tls-key-file', tls.keyFile,
      '--tls-ca-cert-file', tls.certFile,
      '--tls-auth-clients', 'no',
    ];
  }

  private async create(): Promise<void> {
    const tls = this.options.tls ? ['--tls', '--cacert', this.options.tls.certFile] : [];
    const args = [...tls, '--user', ADMIN_USER, '--pass', ADMIN_PASSWORD, '--no-auth-warning', '--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'];
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (this.createOutput += d));
    child.stderr!.on('data', (d) => (this.createOutput += d));
    this.forgetLogs.push(showLogsOnFailure('redis-cli --cluster create', () => this.createOutput));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0 || !/All 16384 slots covered/.test(this.createOutput)) {
      throw new Error(`redis-cli --cluster create exited with ${code}:\n${this.createOutput}`);
    }
  }
}

/** `count` free loopback ports whose cluster bus port (port + 10000) is free too. */
async function clusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (port + 10_000 > 65_535 || ports.includes(port) || ports.includes(port + 10_000) || ports.includes(port - 10_000)) continue;
    if (await portIsFree(port + 10_000)) ports.push(port);
  }
  return ports;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Waits for `pattern` in what the node printed after the first `from` characters. */
async function waitForLine(node: ClusterNode, pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(node.output.slice(from))) {
    if (node.process.exitCode !== null) throw new Error(`redis-server :${node.port} exited with ${node.process.exitCode}:\n${node.output}`);
    if (Date.now() > deadline) throw new Error(`redis-server :${node.port} did not start:\n${node.output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
