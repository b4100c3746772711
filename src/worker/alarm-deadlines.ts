import { CloseCode } from '../protocol/index.ts';
import type { Member, MemberDeadlines } from '../room/index.ts';
import type { AlarmNeed, AlarmSchedule } from './alarm-schedule.ts';

/**
 * Token deadlines at the edge. A timer would keep the object awake, so the
 * object's alarm is set at the earliest deadline instead (see AlarmSchedule).
 * Each deadline is also saved with its member's socket (`save`, into the
 * attachment), so that a wake from hibernation finds it again.
 */
export class AlarmDeadlines implements MemberDeadlines, AlarmNeed {
  private readonly deadlines = new Map<Member, number>();

  constructor(
    private readonly schedule: AlarmSchedule,
    private readonly save: (member: Member, at: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  set(member: Member, at: number): void {
    if (at <= this.now()) return member.close(CloseCode.tokenExpired);
    this.deadlines.set(member, at);
    this.save(member, at);
    this.schedule.changed();
  }

  clear(member: Member): void {
    if (this.deadlines.delete(member)) this.schedule.changed();
  }

  nextAlarm(): number | null {
    let earliest: number | null = null;
    for (const at of this.deadlines.values()) if (earliest === null || at < earliest) earliest = at;
    return earliest;
  }

  /** In `alarm()`: closes with 4001 every member whose deadline is at or before `dueBy`. */
  expire(dueBy: number): void {
    for (const [member, at] of [...this.deadlines]) if (at <= dueBy) member.close(CloseCode.tokenExpired);
  }
}
