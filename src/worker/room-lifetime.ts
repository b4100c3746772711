import type { Logger } from '../logger.ts';

/** Where the time the room last went quiet is kept, beside the log (storage's key-value half). */
const QUIET_SINCE = 'quietSince';

/**
 * ROOM_TTL at the edge: an object's storage is deleted by an alarm once its
 * room has had no member and no message for that long. An alarm, not a timer:
 * a quiet room's object may sleep or be evicted and still be forgotten.
 *
 * The alarm is set when the room goes quiet (its last member left, or it was
 * written while empty). It is also made sure of when a member comes, for a room
 * whose members vanish without a close (the object restarted under them); the
 * alarm then finds no member and judges the room by its last message, so such
 * a member counts as gone since the alarm last found it.
 */
export class RoomLifetime {
  /** Whether this run of the object has already made sure an alarm is set. */
  private armed = false;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly ttlMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The room is empty and quiet from now: it is forgotten after the TTL unless something happens. */
  quiet(): void {
    if (this.ttlMs === 0) return;
    this.armed = true;
    this.settle(this.arm(this.now()), 'could not set the room alarm');
  }

  /** A member came: the alarm stays, to find it there and look again later. */
  occupied(): void {
    if (this.ttlMs === 0 || this.armed) return;
    this.armed = true;
    const at = this.now();
    this.settle(
      this.storage.getAlarm().then((alarm) => (alarm === null ? this.arm(at) : undefined)),
      'could not make sure of the room alarm',
    );
  }

  /**
   * In `alarm()`: whether the room may be forgotten now. If it has a member, or
   * was written since it went quiet, the alarm is set again instead.
   */
  async due(hasMembers: boolean, newestMessageTs: number | null): Promise<boolean> {
    if (this.ttlMs === 0) return false;
    if (hasMembers) {
      await this.arm(this.now());
      return false;
    }
    const quietSince = (await this.storage.get<number>(QUIET_SINCE)) ?? 0;
    if (newestMessageTs !== null && newestMessageTs > quietSince) {
      await this.arm(newestMessageTs);
      return false;
    }
    return true;
  }

  /** After the storage was deleted: the next member makes sure of an alarm again. */
  forgotten(): void {
    this.armed = false;
  }

  private async arm(quietSince: number): Promise<void> {
    await this.storage.put(QUIET_SINCE, quietSince);
    await this.storage.setAlarm(quietSince + this.ttlMs);
  }

  /** Storage calls made from synchronous room events: a failure is logged with what it was for. */
  private settle(work: Promise<unknown>, message: string): void {
    work.catch((err: unknown) => this.log.error({ err }, message));
  }
}
