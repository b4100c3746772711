import type { Logger } from '../logger.ts';
import type { AlarmNeed, AlarmSchedule } from './alarm-schedule.ts';

/** Where the time the room last went quiet is kept, beside the log (storage's key-value half). */
const QUIET_SINCE = 'quietSince';

/**
 * ROOM_TTL at the edge: an object's storage is deleted by its alarm once its
 * room has had no member and no message for that long. An alarm, not a timer:
 * a quiet room's object may sleep or be evicted and still be forgotten. The
 * alarm is shared with the members' token deadlines (see AlarmSchedule): the
 * lifetime needs it at QUIET_SINCE + TTL while that key is kept.
 *
 * The time is set when the room goes quiet (its last member left, or it was
 * written while empty). It is also made sure of when a member comes, for a room
 * whose members vanish without a close (the object restarted under them); the
 * alarm then finds no member and judges the room by its last message, so such
 * a member counts as gone since the alarm last found it.
 */
export class RoomLifetime implements AlarmNeed {
  /** Whether this run of the object has already made sure a time is set. */
  private armed = false;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly ttlMs: number,
    private readonly schedule: AlarmSchedule,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The room is empty and quiet from now: it is forgotten after the TTL unless something happens. */
  quiet(): void {
    if (this.ttlMs === 0) return;
    this.armed = true;
    this.settle(this.arm(this.now()), 'could not set the room alarm');
  }

  /** A member came: the time stays, to find it there and look again later. */
  occupied(): void {
    if (this.ttlMs === 0 || this.armed) return;
    this.armed = true;
    const at = this.now();
    this.settle(
      this.quietSince().then((since) => (since === undefined ? this.arm(at) : undefined)),
      'could not make sure of the room alarm',
    );
  }

  async nextAlarm(): Promise<number | null> {
    if (this.ttlMs === 0) return null;
    const since = await this.quietSince();
    return since === undefined ? null : since + this.ttlMs;
  }

  /**
   * In `alarm()`, with the time up to which needs are due: whether the room may
   * be forgotten now. If its time has not come it waits; if it has a member, or
   * was written since it went quiet, its time is set again instead.
   */
  async due(dueBy: number, hasMembers: boolean, newestMessageTs: number | null): Promise<boolean> {
    if (this.ttlMs === 0) return false;
    const quietSince = await this.quietSince();
    if (quietSince === undefined || quietSince + this.ttlMs > dueBy) return false;
    if (hasMembers) {
      await this.arm(this.now());
      return false;
    }
    if (newestMessageTs !== null && newestMessageTs > quietSince) {
      await this.arm(newestMessageTs);
      return false;
    }
    return true;
  }

  /** After the storage was deleted: the next member makes sure of a time again. */
  forgotten(): void {
    this.armed = false;
  }

  private quietSince(): Promise<number | undefined> {
    return this.storage.get<number>(QUIET_SINCE);
  }

  private async arm(quietSince: number): Promise<void> {
    await this.storage.put(QUIET_SINCE, quietSince);
    await this.schedule.reschedule();
  }

  /** Storage calls made from synchronous room events: a failure is logged with what it was for. */
  private settle(work: Promise<unknown>, message: string): void {
    work.catch((err: unknown) => this.log.error({ err }, message));
  }
}
