import type { SystemName } from './cluster.ts';
import type { MemberTarget } from './clients/client.ts';

/** A member as the main thread assigns it to a worker: `index` is unique in the run and names it as a sender. */
export interface AssignedMember extends MemberTarget {
  index: number;
}

/** How many messages one sender sent in a step, and into which room. */
export interface SentCount {
  sender: number;
  room: string;
  sent: number;
}

/** Commands from the main thread to a load worker; each is answered once with its `Answer`. */
export type Command =
  | { cmd: 'connect'; system: SystemName; members: AssignedMember[]; concurrency: number }
  | { cmd: 'startStep'; step: number }
  | { cmd: 'send'; senders: number[]; rate: number; durationMs: number }
  | { cmd: 'delivered' }
  | { cmd: 'report'; sent: SentCount[] }
  | { cmd: 'closeAll' };

export interface ConnectAnswer {
  connected: number;
  failed: number;
  firstError: string | undefined;
}

export interface StepReport {
  delivered: number;
  lost: number;
  doubled: number;
  /** Members whose connection closed during the step. */
  closed: number;
  histogram: Uint32Array;
}

export interface Answers {
  connect: ConnectAnswer;
  startStep: null;
  send: SentCount[];
  delivered: number;
  report: StepReport;
  closeAll: null;
}

export type Request = Command & { id: number };
export type Reply = { id: number; result?: unknown; error?: string };
