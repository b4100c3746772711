import { afterAll, beforeAll, describe } from 'vitest';
import type { Broker } from '../../src/broker/broker.ts';
import type { Presence } from '../../src/broker/presence.ts';
import { brokerContract } from './broker-contract.ts';
import { presenceContract } from './presence-contract.ts';

/** Where a backend's runner runs: vitest's `node` project, or its `worker` project inside workerd. */
export type Runtime = 'node' | 'workerd';

interface BackendEntry {
  readonly name: string;
  readonly runtime: Runtime;
  /** Why its room has one replica only, when it has (see PresenceContractOptions). */
  readonly oneReplica?: string;
  /** Why it does not run yet: its cases are listed, and skipped. */
  readonly pending?: string;
}

/**
 * Every backend of Broker and Presence, side by side, each with the runtime it
 * needs. A runner per runtime (test/broker.contracts.test.ts for node,
 * test/worker/broker.contracts.test.ts for workerd) runs the broker contract
 * and the presence contract over each of its runtime's backends, and must say
 * how to run every one that is not pending.
 */
export const BACKENDS = [
  { name: 'memory', runtime: 'node' },
  { name: 'Redis', runtime: 'node' },
  { name: 'Redis Cluster', runtime: 'node' },
  { name: 'Durable Object', runtime: 'workerd', oneReplica: 'a room object holds all its members; when it goes, the room goes with it' },
] as const satisfies readonly BackendEntry[];

/** One replica's view of a backend. Every backend so far is its own presence: the same object twice. */
export interface BackendReplica {
  readonly broker: Broker;
  readonly presence: Presence;
}

/** Two replicas over the same backend (the same one twice where a room has one replica). */
export interface ReplicaPair {
  a: BackendReplica;
  b: BackendReplica;
  close(): Promise<void>;
}

/** Makes a pair whose backend keeps at least the last `historySize` messages of each room. */
export type PairFactory = (historySize: number) => Promise<ReplicaPair>;

/** A backend ready for its cases: how to make a pair on it, and how to stop what it started. */
export interface StartedBackend {
  pair: PairFactory;
  stop?: () => Promise<void>;
}

/** How a runner runs one backend. */
export interface BackendRun {
  /** False when this machine lacks what it needs (redis-server): its cases are skipped, with the line the check printed. */
  available?: () => boolean;
  /** Starts what its pairs need (a redis-server) before its first case; `stop` runs after its last. */
  start(): Promise<StartedBackend>;
}

type Backend = (typeof BACKENDS)[number];
/** The backends of `runtime` that a runner must be able to run. */
type RunnableIn<R extends Runtime> = Exclude<Extract<Backend, { runtime: R }>, { pending: string }>['name'];

/** Runs both contracts over every backend of `runtime`, each in a `describe` of its name. */
export function runContracts<R extends Runtime>(runtime: R, runs: { readonly [N in RunnableIn<R>]: BackendRun }): void {
  for (const backend of BACKENDS as readonly BackendEntry[]) {
    if (backend.runtime !== runtime) continue;
    if (backend.pending !== undefined) {
      describe.skip(`${backend.name} (pending: ${backend.pending})`, () => contracts(backend, notYet(backend)));
      continue;
    }
    const run = (runs as Readonly<Record<string, BackendRun>>)[backend.name];
    if (!run) throw new Error(`the ${runtime} runner does not say how to run the ${backend.name} backend`);
    describe.runIf(run.available?.() ?? true)(backend.name, () => {
      let started: StartedBackend | null = null;
      beforeAll(async () => {
        started = await run.start();
      });
      afterAll(async () => {
        await started?.stop?.();
      });
      contracts(backend, (historySize) => {
        if (!started) throw new Error(`the ${backend.name} backend did not start`);
        return started.pair(historySize);
      });
    });
  }
}

function contracts(backend: BackendEntry, pair: PairFactory): void {
  brokerContract(async (historySize) => {
    const { a, b, close } = await pair(historySize);
    return { a: a.broker, b: b.broker, close };
  });
  presenceContract(pair, { oneReplica: backend.oneReplica });
}

function notYet(backend: BackendEntry): PairFactory {
  return () => Promise.reject(new Error(`${backend.name} is pending: ${backend.pending}`));
}
