import { CloseCode } from '../protocol/index.ts';
import type { Member } from './member.ts';

/**
 * When each member's token expires. At the deadline the member is closed
 * with 4001; a runtime keeps the time its own way (timers on Node and Deno,
 * the Durable Object's alarm at the edge, which must not stay awake for it).
 */
export interface MemberDeadlines {
  /** Sets (or moves) the member's deadline, in ms since the epoch. */
  set(member: Member, at: number): void;
  /** Forgets the member's deadline: it is gone. */
  clear(member: Member): void;
}

/** setTimeout's longest wait; a later deadline waits again. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Deadlines as timers, one a member: for Node and Deno. */
export class TimerDeadlines implements MemberDeadlines {
  private readonly timers = new Map<Member, ReturnType<typeof setTimeout>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Members with a deadline: shrinks as they go. */
  get size(): number {
    return this.timers.size;
  }

  set(member: Member, at: number): void {
    this.clear(member);
    const wait = at - this.now();
    if (wait <= 0) return member.close(CloseCode.tokenExpired);
    const timer = setTimeout(() => {
      this.timers.delete(member);
      this.set(member, at);
    }, Math.min(wait, LONGEST_TIMER_MS));
    this.timers.set(member, timer);
  }

  clear(member: Member): void {
    const timer = this.timers.get(member);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(member);
  }
}
