import { type ConnectRequest, type MemberInfo, CloseCode, encodeWelcome, publicMember } from '../protocol/index.ts';
import type { MemberSocket } from './member-socket.ts';
import type { RoomOptions } from './room-options.ts';
import { Member } from './member.ts';
import { Room } from './room.ts';
import { randomLetters } from './random.ts';

/**
 * The rooms that have members on this replica. A room is subscribed at the
 * broker while it has a local member, and unsubscribed when its last one leaves;
 * its members are recorded in presence from their join to their leave.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  private memberCount = 0;
  private closing = false;

  constructor(readonly options: RoomOptions) {}

  get connections(): number {
    return this.memberCount;
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  /** False while shutting down too, so that new members go to another replica. */
  isReady(): boolean {
    return !this.closing && this.options.broker.isReady();
  }

  /**
   * Takes a freshly upgraded socket into its room. The member exists at once, so
   * frames it sends are handled; its welcome follows when the broker answers.
   */
  connect(request: ConnectRequest, socket: MemberSocket, address?: string): Member {
    const info = publicMember({ id: `c_${randomLetters(16)}`, name: request.name ?? `anon-${randomLetters(4)}`, user: request.user });
    const member = new Member(info, request.room, socket, this.options, address);
    this.options.log.debug?.({ room: member.room, member: member.id, address }, 'member connected');
    if (this.closing) {
      // Its upgrade was under way when shutdown began.
      member.close(CloseCode.serviceRestart);
      return member;
    }
    if (request.expiresAt !== undefined && request.expiresAt <= (this.options.now ?? Date.now)()) {
      // Its token expired between the check and the upgrade: it never enters the room.
      member.close(CloseCode.tokenExpired);
      return member;
    }
    const room = this.enter(member);
    let joined = false;
    member.onGone = () => this.gone(room, member, joined);
    if (request.expiresAt !== undefined) this.options.deadlines?.set(member, request.expiresAt);
    void this.admit(room, member, request.since, () => {
      joined = true;
      this.options.log.debug?.({ room: room.name, member: member.id }, 'member joined');
    });
    return member;
  }

  /**
   * Takes back a member whose welcome went out before this registry existed: a
   * Durable Object woken from hibernation finds its members' sockets still
   * open. The room already knows it, so it gets no welcome and causes no `join`.
   */
  restore(room: string, info: MemberInfo, socket: MemberSocket, address?: string): Member {
    const member = new Member(info, room, socket, this.options, address);
    member.resume();
    const joinedRoom = this.enter(member);
    member.onGone = () => this.gone(joinedRoom, member, true);
    joinedRoom.subscription ??= this.options.broker.subscribe(joinedRoom.name, joinedRoom.listener);
    return member;
  }

  private enter(member: Member): Room {
    let room = this.rooms.get(member.room);
    if (!room) {
      room = new Room(member.room, this.options.presenceLimit, this.options.metrics);
      this.rooms.set(room.name, room);
    }
    room.add(member);
    this.memberCount++;
    return room;
  }

  private gone(room: Room, member: Member, joined: boolean): void {
    this.options.deadlines?.clear(member);
    this.memberCount--;
    room.remove(member);
    if (joined) void this.leave(room, member.info);
    if (room.size === 0) void this.release(room);
  }

  /** Closes every member with 1012 so that they reconnect elsewhere. */
  shutdown(): void {
    this.closing = true;
    for (const room of [...this.rooms.values()]) room.forEachMember((m) => m.close(CloseCode.serviceRestart));
  }

  private async admit(room: Room, member: Member, since: string | undefined, markJoined: () => void): Promise<void> {
    const { broker, presence, instance, log, presenceLimit } = this.options;
    try {
      // Closed already (its gone() released the room): subscribing now would outlive it.
      if (member.isClosed) return;
      room.subscription ??= broker.subscribe(room.name, room.listener);
      await room.subscription;
      if (member.isClosed) return;
      await presence.join(room.name, member.info);
      markJoined();
      if (member.isClosed) return void this.leave(room, member.info);
      // Its own join event may still be on its way; the roster takes it now.
      room.roster.apply({ type: 'join', member: member.info });
      const load = () => presence.members(room.name);
      const [listing, history] = await Promise.all([room.roster.listing(load, presenceLimit), broker.history(room.name, since)]);
      // What it sent before its welcome was acked to it; it is never sent its own.
      const backlog = history.messages.filter((m) => m.from.id !== member.id);
      const welcome = encodeWelcome(
        { room: room.name, you: member.info, instance, memberCount: listing.count, recovered: history.recovered, backlog: backlog.length },
        listing.listedJson,
      );
      // With an empty backlog, `since` is where this member already is.
      await member.start(welcome, backlog, history.messages.at(-1)?.id ?? (history.recovered ? since : undefined));
    } catch (err) {
      log.warn({ err, room: room.name, member: member.id }, 'could not admit member; closing it');
      member.close(CloseCode.tryAgainLater);
    }
  }

  private async leave(room: Room, info: MemberInfo): Promise<void> {
    this.options.log.debug?.({ room: room.name, member: info.id }, 'member left');
    try {
      await this.options.presence.leave(room.name, info);
    } catch (err) {
      this.options.log.warn({ err, room: room.name, member: info.id }, 'could not record leave');
    }
  }

  private async release(room: Room): Promise<void> {
    if (this.rooms.get(room.name) !== room) return;
    this.rooms.delete(room.name);
    room.dispose();
    const subscription = room.subscription;
    room.subscription = null;
    if (!subscription) return;
    try {
      await subscription;
      await this.options.broker.unsubscribe(room.name, room.listener);
    } catch (err) {
      this.options.log.warn({ err, room: room.name }, 'could not unsubscribe');
    }
  }
}

