/** The members of a room, kept by id from welcome/join/leave, and the room's count. */
import type { MemberInfo } from '../protocol/frames.ts';

export class MemberList {
  private readonly byId = new Map<string, MemberInfo>();
  private memberCount = 0;

  get count(): number {
    return this.memberCount;
  }

  list(): MemberInfo[] {
    return [...this.byId.values()];
  }

  /** A welcome's members; its memberCount (big rooms), else their number. */
  reset(members: readonly MemberInfo[], memberCount: number | undefined): void {
    this.byId.clear();
    for (const m of members) this.byId.set(m.id, m);
    this.memberCount = typeof memberCount === 'number' ? memberCount : this.byId.size;
  }

  /** False when the id is known already: a second join changes nothing. */
  join(member: MemberInfo): boolean {
    if (this.byId.has(member.id)) return false;
    this.byId.set(member.id, member);
    this.memberCount++;
    return true;
  }

  /** False when the id is not known. */
  leave(id: string): boolean {
    if (!this.byId.delete(id)) return false;
    this.memberCount = Math.max(this.byId.size, this.memberCount - 1);
    return true;
  }

  /** A `count` frame: the count only. False when it is the same. */
  setCount(members: number): boolean {
    if (members === this.memberCount) return false;
    this.memberCount = members;
    return true;
  }
}
