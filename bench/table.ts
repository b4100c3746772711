import type { BenchResults } from './results.ts';
import type { FanoutStep } from './scenarios/fanout.ts';
import type { IdleFigure } from './scenarios/idle.ts';

/** One line of the final table; `ratio` is ours ÷ Socket.IO unless the row says otherwise. */
interface Row {
  figure: string;
  socketio?: number | undefined;
  ours?: number | undefined;
  ratio?: number | undefined;
  /** The ratio (or value) must be at most this. */
  limit?: number;
  target?: string;
  digits?: number;
}

export function tableRows(r: BenchResults): Row[] {
  const rows: Row[] = [];
  const join = r.join;
  if (join) {
    const [small, big] = [0, 1].map((i) => ({ s: join.socketio?.[i], o: join.ours?.[i] }));
    const n = (i: 0 | 1): string => (join.ours?.[i] ?? join.socketio?.[i])?.members.toLocaleString('en') ?? '?';
    rows.push(compare(`join: ${n(0)} members into one room, s`, small!.s?.seconds, small!.o?.seconds, 1.5));
    rows.push(compare(`join: ${n(1)} members into one room, s`, big!.s?.seconds, big!.o?.seconds));
    rows.push({
      figure: `join: ${n(1)} ÷ ${n(0)} members, time`,
      socketio: div(big!.s?.seconds, small!.s?.seconds),
      ours: div(big!.o?.seconds, small!.o?.seconds),
      ratio: div(big!.o?.seconds, small!.o?.seconds),
      limit: 6,
      target: 'ours ≤ 6',
    });
    rows.push(compare(`join: ${n(0)} members, server CPU s`, small!.s?.serverCpuSeconds, small!.o?.serverCpuSeconds));
  }
  const idle = r.idle;
  if (idle) {
    const kib = (b: number | undefined): number | undefined => (b === undefined ? undefined : b / 1024);
    const n = (idle.ours ?? idle.socketio)?.connections.toLocaleString('en') ?? '?';
    const settled = (f: IdleFigure | undefined): number | undefined => kib(f?.rssPerConnectionSettled);
    const afterGc = (f: IdleFigure | undefined): number | undefined => kib(f?.rssPerConnectionAfterGc);
    // The targets are on retained memory; the settled figure, with the connect storm's garbage, is printed beside it.
    rows.push(compare('idle: RSS KiB per connection, settled 5 s', settled(idle.socketio), settled(idle.ours)));
    rows.push(compare('idle: RSS KiB per connection, after a full GC', afterGc(idle.socketio), afterGc(idle.ours), 0.5));
    if (idle.deno) {
      rows.push(compare('idle on Deno (ours column): RSS KiB per conn, settled 5 s', settled(idle.socketio), settled(idle.deno)));
      rows.push(compare('idle on Deno (ours column): RSS KiB per conn, after a full GC', afterGc(idle.socketio), afterGc(idle.deno), 1));
    }
    rows.push(compare(`idle: ${n} conns, connects/s`, idle.socketio?.connectsPerSecond, idle.ours?.connectsPerSecond, undefined, 0));
    rows.push(compare('idle: server CPU µs per connect', idle.socketio?.serverCpuPerConnectUs, idle.ours?.serverCpuPerConnectUs, 0.75, 0));
  }
  const fanout = r.fanout;
  if (fanout) {
    const s = fanout.socketio?.steps ?? [];
    const o = fanout.ours?.steps ?? [];
    const members = (fanout.ours ?? fanout.socketio)?.members.toLocaleString('en') ?? '?';
    const at = (steps: FanoutStep[], rate: number): FanoutStep | undefined => steps.find((x) => x.rate === rate);
    rows.push(compare(`fanout ${members}: CPU s per 1M deliveries @ 40 msg/s`, at(s, 40)?.serverCpuPerMillion, at(o, 40)?.serverCpuPerMillion, 0.75));
    const bothClean = o.filter((x) => x.clean && at(s, x.rate)?.clean).map((x) => x.rate);
    const top = bothClean.length > 0 ? Math.max(...bothClean) : undefined;
    const topLabel = top === undefined ? 'no rate clean for both' : `${top} msg/s, top both clean`;
    rows.push(compare(`fanout: CPU s per 1M @ ${topLabel}`, top && at(s, top)?.serverCpuPerMillion, top && at(o, top)?.serverCpuPerMillion, 0.6));
    const highest = (steps: FanoutStep[]): number | undefined => Math.max(0, ...steps.filter((x) => x.clean).map((x) => x.rate));
    rows.push(compare('fanout: highest clean rate, msg/s', highest(s), highest(o), undefined, 0));
    rows.push(compare('fanout: p99 ms @ 40 msg/s', at(s, 40)?.p99Ms, at(o, 40)?.p99Ms, undefined, 1));
    const faults = (steps: FanoutStep[]): number | undefined => (steps.length ? steps.reduce((n, x) => n + x.lost + x.doubled, 0) : undefined);
    rows.push({ figure: 'fanout: lost + doubled, all steps', socketio: faults(s), ours: faults(o), ratio: faults(o), limit: 0, target: 'ours = 0', digits: 0 });
  }
  const rooms = r.rooms;
  if (rooms) {
    const label = rooms.ours ? `${rooms.ours.rooms.toLocaleString('en')} × ${rooms.ours.roomSize} @ ${rooms.ours.rate} msg/s` : '';
    rows.push(compare(`rooms ${label}: server CPU %`, rooms.socketio?.serverCpuPercent, rooms.ours?.serverCpuPercent, 0.8, 1));
    rows.push(compare('rooms: Redis CPU %', rooms.socketio?.redisCpuPercent, rooms.ours?.redisCpuPercent, 1.5, 1));
  }
  const recovery = r.recovery;
  if (recovery && recovery.length > 0) {
    for (const f of recovery) {
      rows.push({ figure: `recovery: since ${f.backlog.toLocaleString('en')} back, ms`, ours: f.msPerRecovery });
      rows.push({ figure: `recovery: ${f.backlog.toLocaleString('en')}, µs server CPU per message`, ours: f.serverCpuUsPerMessage });
    }
    const first = recovery[0]!;
    const last = recovery[recovery.length - 1]!;
    rows.push({
      figure: `recovery: µs per message, ${last.backlog.toLocaleString('en')} ÷ ${first.backlog}`,
      ours: last.usPerMessage / first.usPerMessage,
      ratio: last.usPerMessage / first.usPerMessage,
      limit: 1.5,
      target: 'linear: ≤ 1.5',
    });
  }
  return rows;
}

function compare(figure: string, socketio: number | undefined, ours: number | undefined, limit?: number, digits = 2): Row {
  const row: Row = { figure, socketio, ours, ratio: div(ours, socketio), digits };
  if (limit !== undefined) Object.assign(row, { limit, target: `≤ ${limit}×` });
  return row;
}

function div(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

function show(value: number | undefined, digits = 2): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return '∞';
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The table as text: figure | Socket.IO | ours | ratio | target | met? */
export function formatTable(rows: Row[]): string {
  const lines = [['figure', 'Socket.IO', 'ours', 'ratio', 'target', 'met?']];
  for (const row of rows) {
    const met = row.limit === undefined || row.ratio === undefined ? '' : row.ratio <= row.limit ? 'yes' : 'NO';
    lines.push([row.figure, show(row.socketio, row.digits), show(row.ours, row.digits), show(row.ratio), row.target ?? '', met]);
  }
  const widths = lines[0]!.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  const format = (l: string[]): string => l.map((cell, c) => (c === 0 || c >= 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ').trimEnd();
  return [format(lines[0]!), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.slice(1).map(format)].join('\n');
}

/** The generator's busiest share of a core in each scenario: near 100% means it, not the server, may be the limit. */
export function generatorLine(r: BenchResults): string {
  const shares: string[] = [];
  const peak = (figures: { generatorCpuSeconds: number; wallSeconds: number }[]): string =>
    `${Math.round(Math.max(0, ...figures.map((f) => (100 * f.generatorCpuSeconds) / f.wallSeconds)))}%`;
  if (r.join) shares.push(`join ${peak(Object.values(r.join).flat())}`);
  if (r.idle) shares.push(`idle ${peak(Object.values(r.idle))}`);
  if (r.fanout) shares.push(`fanout ${peak(Object.values(r.fanout).flatMap((f) => f.steps))}`);
  if (r.rooms) shares.push(`rooms ${peak(Object.values(r.rooms))}`);
  if (r.recovery) shares.push(`recovery ${peak(r.recovery)}`);
  return `load generator CPU, busiest step, % of one core (${r.options.workers} threads on ${r.machine.cores} cores): ${shares.join(', ')}`;
}
