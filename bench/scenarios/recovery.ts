import { randomBytes } from 'node:crypto';
import { connectChatHub } from '../clients/chat-hub.ts';
import { TEXT_PREFIX } from '../clients/client.ts';
import { measureCpu } from '../cpu.ts';
import { type CpuFigures, type ScenarioContext, cpuFigures, describeCpu, progress, withCluster } from './context.ts';

export interface RecoveryFigure extends CpuFigures {
  backlog: number;
  repeats: number;
  /** Mean time from connecting with `since` to the last backlog message, in ms. */
  msPerRecovery: number;
  /** Replica CPU per recovery, in ms. */
  serverCpuMsPerRecovery: number;
  usPerMessage: number;
  serverCpuUsPerMessage: number;
}

const ROOM = 'recovery';
const PUBLISHING_IN_FLIGHT = 16;
const RECOVERY_TIMEOUT_MS = 60_000;

/**
 * Ours only (Socket.IO's Redis adapter keeps no history): a room holds N + 1
 * messages; a member connects with `since` = the oldest, on the replica that
 * did not publish them, and is timed until the welcome and N backlog messages
 * came. Repeated, and averaged, as one recovery of 100 is shorter than a CPU tick.
 */
export async function runRecovery(ctx: ScenarioContext): Promise<RecoveryFigure[]> {
  const plan = ctx.quick ? [{ n: 100, repeats: 10 }, { n: 1000, repeats: 3 }] : [{ n: 100, repeats: 20 }, { n: 10_000, repeats: 3 }];
  const figures: RecoveryFigure[] = [];
  for (const { n, repeats } of plan) {
    const apiKey = randomBytes(16).toString('hex');
    const env = { API_KEY: apiKey, HISTORY_SIZE: String(Math.max(1000, 2 * n)) };
    const figure = await withCluster(ctx, 'ours', env, async (cluster) => {
      const ids = await publish(cluster.ports[0]!, apiKey, n + 1);
      const since = ids[0]!;
      await recover(cluster.ports[1]!, since, n);
      const stop = measureCpu(cluster.serverPids, cluster.redisPid);
      const start = performance.now();
      for (let i = 0; i < repeats; i++) await recover(cluster.ports[1]!, since, n);
      const msPerRecovery = (performance.now() - start) / repeats;
      const cpu = cpuFigures(stop());
      return {
        backlog: n,
        repeats,
        msPerRecovery,
        serverCpuMsPerRecovery: (cpu.serverCpuSeconds * 1000) / repeats,
        usPerMessage: (msPerRecovery * 1000) / n,
        serverCpuUsPerMessage: (cpu.serverCpuSeconds * 1e6) / repeats / n,
        ...cpu,
      };
    });
    progress(
      'recovery',
      'ours',
      `since ${n} messages back (×${repeats}): ${figure.msPerRecovery.toFixed(1)} ms each, ${figure.usPerMessage.toFixed(1)} µs per message, ` +
        `${figure.serverCpuUsPerMessage.toFixed(1)} µs server CPU per message; ${describeCpu(figure)}`,
    );
    figures.push(figure);
  }
  return figures;
}

/** Publishes `count` messages through the HTTP API; answers their ids, oldest first. */
async function publish(port: number, apiKey: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const res = await fetch(`http://127.0.0.1:${port}/api/rooms/${ROOM}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: `${TEXT_PREFIX}0:0:${i}:0`, name: 'bench' }),
      });
      if (res.status !== 201) throw new Error(`publishing answered ${res.status}: ${await res.text()}`);
      ids.push(((await res.json()) as { id: string }).id);
    }
  };
  await Promise.all(Array.from({ length: PUBLISHING_IN_FLIGHT }, lane));
  return ids.sort(compareIds);
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am !== bm ? (am < bm ? -1 : 1) : as < bs ? -1 : as > bs ? 1 : 0;
}

/** One member connects with `since` and is closed once its welcome and `backlog` messages arrived. */
async function recover(port: number, since: string, backlog: number): Promise<void> {
  let received = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const client = connectChatHub(
    { port, room: ROOM, name: 'recovering', since },
    { text: () => ++received === backlog && done(), closed: () => undefined },
  );
  try {
    const welcome = await client.welcomed;
    if (!welcome.recovered || welcome.backlog !== backlog) {
      throw new Error(`recovery of ${backlog}: welcome said recovered ${welcome.recovered}, backlog ${welcome.backlog}`);
    }
    await Promise.race([all, deadline(RECOVERY_TIMEOUT_MS, `recovery of ${backlog}: ${received} messages came`)]);
  } finally {
    client.close();
  }
}

function deadline(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms).unref());
}
