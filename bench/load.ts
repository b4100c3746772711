import { Worker } from 'node:worker_threads';
import type { SystemName } from './cluster.ts';
import type { AssignedMember, Answers, Command, ConnectAnswer, Reply, SentCount, StepReport } from './load-protocol.ts';
import { emptyHistogram, mergeInto } from './latency.ts';

/**
 * A thread does not inherit tsx's loader, and on Node 20 `execArgv: ['--import', 'tsx']`
 * does not reach a worker's imports either (https://github.com/privatenumber/tsx/issues/354):
 * the thread registers tsx itself, then imports the TypeScript entry.
 */
const WORKER_BOOT = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(
  new URL('./load-worker.ts', import.meta.url).href,
)}); })`;

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

/** The load generator: worker threads holding the members; member `index` lives on worker `index % workers`. */
export class LoadGenerator {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Set once a thread failed: every question after it fails too, instead of waiting for an answer. */
  private broken: Error | undefined;
  private step = 0;

  constructor(count: number) {
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(WORKER_BOOT, { eval: true });
      worker.on('message', (reply: Reply) => this.settle(reply));
      worker.on('error', (err) => this.failAll(err));
      worker.on('exit', (code) => this.failAll(new Error(`a load worker exited with ${code}`)));
      return worker;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Connects the members (`concurrency` connecting at once in all), returning once each got its welcome or failed. */
  async connect(system: SystemName, members: AssignedMember[], concurrency: number): Promise<ConnectAnswer> {
    const lanes = Math.max(1, Math.ceil(concurrency / this.workers.length));
    const answers = await Promise.all(
      this.workers.map((_, w) => this.ask(w, { cmd: 'connect', system, members: this.mine(w, members), concurrency: lanes })),
    );
    return {
      connected: answers.reduce((n, a) => n + a.connected, 0),
      failed: answers.reduce((n, a) => n + a.failed, 0),
      firstError: answers.find((a) => a.firstError)?.firstError,
    };
  }

  /** A new step: what members receive from here on is counted afresh, and earlier steps' messages are ignored. */
  async startStep(): Promise<void> {
    const step = ++this.step;
    await this.all({ cmd: 'startStep', step });
  }

  /** `rate` messages a second in total, spread evenly over the senders, for `durationMs`; answers what each sent. */
  async send(senders: number[], rate: number, durationMs: number): Promise<SentCount[]> {
    const perWorker = this.workers.map((_, w) => senders.filter((s) => s % this.workers.length === w));
    const parts = await Promise.all(
      perWorker.map((mine, w) =>
        this.ask(w, { cmd: 'send', senders: mine, rate: (rate * mine.length) / senders.length, durationMs }),
      ),
    );
    return parts.flat();
  }

  /** Waits until `expected` deliveries arrived, or none arrived for `quietMs`. */
  async drain(expected: number, quietMs = 2000): Promise<void> {
    let last = -1;
    let lastChange = performance.now();
    for (;;) {
      const delivered = (await this.all({ cmd: 'delivered' })).reduce((a, b) => a + b, 0);
      if (delivered >= expected) return;
      if (delivered !== last) {
        last = delivered;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > quietMs) {
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async report(sent: SentCount[]): Promise<StepReport> {
    const parts = await this.all({ cmd: 'report', sent });
    const histogram = emptyHistogram();
    for (const part of parts) mergeInto(histogram, part.histogram);
    const sum = (key: 'delivered' | 'lost' | 'doubled' | 'closed'): number => parts.reduce((n, p) => n + p[key], 0);
    return { delivered: sum('delivered'), lost: sum('lost'), doubled: sum('doubled'), closed: sum('closed'), histogram };
  }

  async closeAll(): Promise<void> {
    await this.all({ cmd: 'closeAll' });
  }

  async stop(): Promise<void> {
    this.broken ??= new Error('the load generator was stopped');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private mine(w: number, members: AssignedMember[]): AssignedMember[] {
    return members.filter((m) => m.index % this.workers.length === w);
  }

  private all<C extends Command>(command: C): Promise<Answers[C['cmd']][]> {
    return Promise.all(this.workers.map((_, w) => this.ask(w, command)));
  }

  private ask<C extends Command>(w: number, command: C): Promise<Answers[C['cmd']]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.broken) return reject(this.broken);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.workers[w]!.postMessage({ ...command, id });
    });
  }

  private settle(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (reply.error !== undefined) pending?.reject(new Error(`load worker: ${reply.error}`));
    else pending?.resolve(reply.result);
  }

  private failAll(err: Error): void {
    this.broken ??= err;
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
  }
}
