import { type MemberInfo, publicMember } from '../protocol/index.ts';

/** What a welcome says of the room: the first members, serialized, and how many there are. */
export interface Listing {
  /** A JSON array of the first `limit` members. */
  readonly listedJson: string;
  readonly count: number;
}

/** A `join` or `leave`, as a presence event carries it. */
export interface RosterChange {
  readonly type: 'join' | 'leave';
  readonly member: MemberInfo;
}

/**
 * Presence events a load may have to replay: past this many during one read
 * of presence's list, the read is thrown away and made again.
 */
const MAX_MISSED_DURING_LOAD = 10_000;

/**
 * Who is in one room on every replica, as this replica knows it: read whole
 * from presence once (when the room is first needed, and again after the
 * broker said events may have been lost), then kept from the room's
 * `join`/`leave` events. A welcome is answered from it, so a join costs the
 * size of the change, not the size of the room.
 *
 * Presence's list and its events (on the broker's subscription) come by
 * different paths, so a load keeps the events that arrive while it is under
 * way and replays them, in order, over the list it read: each is idempotent
 * (a join sets, a leave deletes), so one already in the list changes nothing,
 * and any change made after the read arrives as an event.
 */
export class Roster {
  private members: Map<string, MemberInfo> | null = null;
  /** Events seen while a load is under way; null when none is. */
  private missed: RosterChange[] | null = null;
  private loading: Promise<void> | null = null;
  /** Bumped when the list must be read again: a load begun before is thrown away. */
  private generation = 0;
  /**
   * The welcome's list, kept while the first members stay the same: past the
   * presence limit a join adds no one to it, so a big room's newcomers share
   * one serialization instead of one each.
   */
  private listed: { readonly limit: number; readonly json: string; readonly ids: Set<string> } | null = null;

  /** Applies a `join` or `leave` delivered in the room's order, or a member's own join once presence recorded it. */
  apply(event: RosterChange): void {
    if (this.members) {
      if (this.listed && this.changesListed(this.members, event)) this.listed = null;
      return applyTo(this.members, event);
    }
    if (!this.missed) return;
    if (this.missed.length < MAX_MISSED_DURING_LOAD) this.missed.push(event);
    else this.stale();
  }

  /** The broker may have dropped events (a reconnect, a reset): the list is read again when next needed. */
  stale(): void {
    this.generation++;
    this.members = null;
    this.missed = null;
    this.listed = null;
  }

  /** The first `limit` members and the count, read from `load` unless already known. */
  async listing(load: () => Promise<MemberInfo[]>, limit: number): Promise<Listing> {
    const members = await this.read(load);
    if (this.members !== members || this.listed?.limit !== limit) {
      const first: MemberInfo[] = [];
      for (const member of members.values()) {
        if (first.length === limit) break;
        first.push(publicMember(member));
      }
      const listed = { limit, json: JSON.stringify(first), ids: new Set(first.map((m) => m.id)) };
      // Kept only for the list that events keep current.
      if (this.members === members) this.listed = listed;
      return { listedJson: listed.json, count: members.size };
    }
    return { listedJson: this.listed.json, count: members.size };
  }

  /** Whether the change alters the first `limit` members: a join while there is room among them, or a listed member's leave. */
  private changesListed(members: Map<string, MemberInfo>, event: RosterChange): boolean {
    const { limit, ids } = this.listed!;
    if (event.type === 'leave') return ids.has(event.member.id);
    return !members.has(event.member.id) && members.size < limit;
  }

  /** The members, read from `load` unless already known. */
  async read(load: () => Promise<MemberInfo[]>): Promise<ReadonlyMap<string, MemberInfo>> {
    while (this.members === null) {
      this.loading ??= this.load(load);
      await this.loading;
    }
    return this.members;
  }

  private async load(load: () => Promise<MemberInfo[]>): Promise<void> {
    const generation = this.generation;
    const missed: RosterChange[] = [];
    this.missed = missed;
    try {
      const listed = await load();
      if (generation !== this.generation) return;
      const members = new Map<string, MemberInfo>();
      for (const member of listed) members.set(member.id, member);
      for (const event of missed) applyTo(members, event);
      this.members = members;
      this.listed = null;
    } finally {
      if (this.missed === missed) this.missed = null;
      this.loading = null;
    }
  }
}

function applyTo(members: Map<string, MemberInfo>, event: RosterChange): void {
  if (event.type === 'join') members.set(event.member.id, event.member);
  else members.delete(event.member.id);
}
