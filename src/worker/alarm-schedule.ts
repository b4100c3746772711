import type { Logger } from '../logger.ts';

/** Something in a room's object that needs the object woken at a time. */
export interface AlarmNeed {
  /** The earliest time (ms since the epoch) it needs the object woken, or null when it needs nothing. */
  nextAlarm(): number | null | Promise<number | null>;
}

/** How far ahead the alarm is ever set: a later need is met by setting it again when it fires. */
const FARTHEST_ALARM_MS = 365 * 24 * 3600 * 1000;

/**
 * A Durable Object has one alarm, and two things in a room need it: its
 * lifetime (ROOM_TTL, see RoomLifetime) and its members' token deadlines (see
 * AlarmDeadlines). Each says when it next needs the object; the alarm is kept
 * at the earliest of those, so the object may sleep, or be evicted, until then.
 */
export class AlarmSchedule {
  private readonly needs: AlarmNeed[] = [];
  /** The alarm's time as this run of the object knows it: read at start, then as it is set. */
  private setFor: Promise<number | null>;
  /** A recomputation that has not started yet: later requests join it instead of queueing another. */
  private queued: Promise<void> | null = null;
  private last: Promise<void> = Promise.resolve();
  /** Set by an alarm's run: the next recomputation writes the alarm even if it reads the same time. */
  private mustWrite = false;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    // Unknown if it cannot be read: the alarm then serves what is due by the time it runs.
    this.setFor = storage.getAlarm().catch(() => null);
  }

  add(need: AlarmNeed): void {
    this.needs.push(need);
  }

  /**
   * Moves the alarm to the earliest time needed, or deletes it when nothing
   * needs one. Recomputations run one at a time, each reading the needs as
   * they are then, so an older one never overwrites a newer one's time.
   */
  reschedule(): Promise<void> {
    if (this.queued) return this.queued;
    const run = this.last.then(() => {
      this.queued = null;
      return this.apply();
    });
    this.queued = run;
    this.last = run.catch(() => undefined);
    return run;
  }

  /** As reschedule, for a synchronous room event: a failure is logged. */
  changed(): void {
    this.reschedule().catch((err: unknown) => this.log.error({ err }, 'could not set the room alarm'));
  }

  /**
   * In `alarm()`: the time up to which every need is due. workerd runs an
   * alarm at its time or later, so that is now; an alarm run before its time
   * (runDurableObjectAlarm does) serves what it was set for, as if that time had
   * come, unless another time was set since (then it is stale and serves what
   * is due by now).
   */
  async fired(): Promise<number> {
    const [setFor, pending] = await Promise.all([this.setFor, this.storage.getAlarm()]);
    this.setFor = Promise.resolve(null);
    // workerd forgets an alarm that has run unless it is set again during the run.
    this.mustWrite = true;
    return pending === null ? Math.max(this.now(), setFor ?? 0) : this.now();
  }

  private async apply(): Promise<void> {
    let earliest: number | null = null;
    for (const at of await Promise.all(this.needs.map((need) => need.nextAlarm()))) {
      if (at !== null && (earliest === null || at < earliest)) earliest = at;
    }
    // workerd refuses alarms past 2189 (a token's exp may be "never": 9999999999); a far need is met by alarms a year apart.
    if (earliest !== null) earliest = Math.min(earliest, this.now() + FARTHEST_ALARM_MS);
    const write = this.mustWrite || earliest !== (await this.storage.getAlarm());
    this.mustWrite = false;
    if (write) {
      if (earliest === null) await this.storage.deleteAlarm();
      else await this.storage.setAlarm(earliest);
    }
    this.setFor = Promise.resolve(earliest);
  }
}
