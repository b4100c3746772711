import type { SystemName } from './cluster.ts';
import type { FanoutResult } from './scenarios/fanout.ts';
import type { IdleFigure } from './scenarios/idle.ts';
import type { JoinFigure } from './scenarios/join.ts';
import type { RecoveryFigure } from './scenarios/recovery.ts';
import type { RoomsFigure } from './scenarios/rooms.ts';

type PerSystem<T> = Partial<Record<SystemName, T>>;

/** Every raw figure of one run, as written to bench/results/<time>.json. */
export interface BenchResults {
  startedAt: string;
  machine: { cpuModel: string; cores: number; node: string; platform: string; fileLimit: string; loadAverageAtStart: number };
  options: { only: string[]; quick: boolean; workers: number; deno: boolean };
  join?: PerSystem<JoinFigure[]>;
  idle?: PerSystem<IdleFigure>;
  fanout?: PerSystem<FanoutResult>;
  rooms?: PerSystem<RoomsFigure>;
  recovery?: RecoveryFigure[];
}
