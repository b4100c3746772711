import { randomBytes } from 'node:crypto';
import { type MemberInfo, publicMember } from '../protocol/index.ts';
import type { Logger } from '../logger.ts';
import { throttledLog } from '../log-bounds.ts';
import { BrokerUnavailableError } from './broker.ts';
import type { Presence } from './presence.ts';
import { type StoredMember, publicJson, storedJson } from './redis-codec.ts';
import { type RedisConnections, describe, pause } from './redis-connection.ts';
import { livenessKey, roomKeys } from './redis-keys.ts';

/** Rooms a heartbeat sweeps at once: their reads go to Redis together. */
const SWEEP_BATCH = 100;

export interface RedisPresenceOptions {
  instance: string;
  /** An incarnation whose liveness key is older than this is taken for dead. */
  livenessTtlMs: number;
  /** Room TTL handed to every script that writes a room (0: keep for ever). */
  roomTtlMs: number;
  log: Logger;
}

/**
 * Who is in each room, on every replica, kept in the room's members hash.
 *
 * Each record names the incarnation that made it: the replica's instance name
 * and a boot id drawn once per broker. An incarnation is alive while its own
 * liveness key (`chat:instance:<instance>:<boot>`) is; a replica restarted
 * under the same name draws a new boot id, so nobody refreshes its
 * predecessor's key and the predecessor's members are swept once it expires.
 * A key per incarnation, rather than the boot id as the value of one key per
 * name, keeps two replicas misconfigured with one name from sweeping each
 * other's members.
 */
export class RedisPresence implements Presence {
  readonly boot = randomBytes(8).toString('hex');
  /** Members this replica recorded, per room: the truth about this replica, recorded again after Redis comes back. */
  private readonly local = new Map<string, Map<string, MemberInfo>>();
  /**
   * Rooms where a leave could not be recorded: the heartbeat sweeps them (the
   * record is this incarnation's and no longer held) even once this replica
   * holds no one there, and forgets them once swept.
   */
  private readonly unswept = new Set<string>();
  /** Members whose first record is under way: not listed until Redis has them (a failed record never is). */
  private readonly joining = new Set<MemberInfo>();
  /** Whether this incarnation said it was alive before: its key missing later means it lapsed. */
  private saidAlive = false;
  private readonly livenessUnread: (context: object) => void;

  constructor(
    private readonly connections: RedisConnections,
    private readonly options: RedisPresenceOptions,
  ) {
    this.livenessUnread = throttledLog(options.log, 'could not read a replica incarnation’s liveness key: its members are kept until it can be read', 'warn');
  }

  /**
   * Records a member here and in Redis, announcing its `join` when Redis did
   * not hold it yet. Until Redis answers, it is not listed from here.
   */
  async join(room: string, member: MemberInfo): Promise<void> {
    let members = this.local.get(room);
    if (!members) this.local.set(room, (members = new Map()));
    members.set(member.id, member);
    this.joining.add(member);
    try {
      await this.connections.run('join', () => this.record(room, member, true));
    } catch (err) {
      // Not recorded (or not known to be): never record it again after a reconnect.
      members.delete(member.id);
      if (members.size === 0) this.local.delete(room);
      throw err;
    } finally {
      this.joining.delete(member);
    }
  }

  /**
   * Removes a member here and in Redis, announcing its `leave` when Redis held
   * it. When Redis cannot be told, the heartbeat sweeps the room: the record
   * is this incarnation's and no longer held here.
   */
  async leave(room: string, member: MemberInfo): Promise<void> {
    const members = this.local.get(room);
    members?.delete(member.id);
    if (members?.size === 0) this.local.delete(room);
    try {
      await this.connections.run('leave', () => this.remove(room, [member]));
    } catch (err) {
      this.unswept.add(room);
      throw err;
    }
  }

  /**
   * Everyone in the room on a living incarnation: Redis's records once the
   * dead incarnations' were swept (announcing their `leave`), and this
   * replica's own members, recorded once, whether Redis holds them now or not:
   * after Redis restarted empty, restore() records them one by one, and a
   * welcome read meanwhile must still list them. A join still under way is
   * listed only once Redis holds it.
   */
  async members(room: string): Promise<MemberInfo[]> {
    const living = await this.sweepDeadIncarnations(room, await this.records(room));
    return this.withOwnMembers(room, living.map(publicMember));
  }

  /** The room's members hash as Redis holds it now, every replica's records. */
  private async records(room: string): Promise<StoredMember[]> {
    const stored = await this.connections.run('members', () => this.connections.commands.hgetall(roomKeys(room).members));
    return Object.values(stored).map((json) => JSON.parse(json) as StoredMember);
  }

  /**
   * Removes from the room, announcing `leave` for each, the records of an
   * incarnation that is gone: another replica's whose liveness key expired
   * (it died, or was restarted under its name), or this one's own that it no
   * longer holds (a leave that failed while Redis was away). Whichever replica
   * gets there first announces them, once. Returns the living records.
   * `livingIncarnations` lets a heartbeat read each incarnation's liveness once.
   */
  private async sweepDeadIncarnations(
    room: string,
    records: StoredMember[],
    livingIncarnations = new Map<string, Promise<boolean>>(),
  ): Promise<StoredMember[]> {
    const held = this.local.get(room);
    const living: StoredMember[] = [];
    const dead: StoredMember[] = [];
    for (const member of records) {
      let alive: boolean;
      if (member.boot === this.boot && member.instance === this.options.instance) {
        alive = held?.has(member.id) ?? false;
      } else {
        const incarnation = `${member.instance} ${member.boot}`;
        let known = livingIncarnations.get(incarnation);
        if (!known) livingIncarnations.set(incarnation, (known = this.isAliveOrUnread(member)));
        alive = await known;
      }
      (alive ? living : dead).push(member);
    }
    if (dead.length > 0) {
      const left = await this.connections.run('members', () => this.remove(room, dead, true));
      if (left > 0) this.options.log.info({ room, left }, 'removed members whose replica incarnation is gone or who left while Redis was away');
    }
    return living;
  }

  /** `living`, and this replica's own members of the room that it does not list (Redis lost them), but no join under way. */
  private withOwnMembers(room: string, living: MemberInfo[]): MemberInfo[] {
    const own = this.local.get(room);
    if (!own) return living;
    const listed = new Set(living.map((m) => m.id));
    for (const member of own.values()) if (!listed.has(member.id) && !this.joining.has(member)) living.push(publicMember(member));
    return living;
  }

  /**
   * Refreshes this incarnation's liveness key, then sweeps the rooms it holds:
   * a batch of rooms at a time, each incarnation's liveness read once per beat
   * (2,000 rooms swept one request at a time cost Redis as much as 1,000
   * messages a second).
   */
  async beat(): Promise<void> {
    if (!this.connections.isReady()) return;
    try {
      const lapsed = !(await this.sayAlive());
      // Paused past its liveness TTL with its connections up (a long GC, SIGSTOP): others may
      // have swept its members, announcing leaves; recording them again announces them back.
      if (lapsed) await this.recordAll();
      const livingIncarnations = new Map<string, Promise<boolean>>();
      const rooms = [...new Set([...this.local.keys(), ...this.unswept])];
      for (let i = 0; i < rooms.length; i += SWEEP_BATCH) {
        await Promise.all(
          rooms.slice(i, i + SWEEP_BATCH).map(async (room) => {
            await this.sweepDeadIncarnations(room, await this.records(room), livingIncarnations);
            this.unswept.delete(room);
          }),
        );
      }
    } catch (err) {
      this.options.log.warn({ err: describe(err) }, 'heartbeat failed');
    }
  }

  /**
   * Keeps the rooms this replica holds members in, however quiet. A room
   * whose replicas all died is refreshed by nobody and expires a TTL later.
   */
  async keepHeldRooms(): Promise<void> {
    if (!this.connections.isReady()) return;
    try {
      const { commands } = this.connections;
      await Promise.all([...this.local.keys()].map((room) => commands.chatKeep(...roomKeys(room).all, this.options.roomTtlMs)));
    } catch (err) {
      this.options.log.warn({ err: describe(err) }, 'could not keep the rooms this replica holds');
    }
  }

  /**
   * Both connections are up again: say this incarnation is alive and record
   * its members again (Redis may have lost them) without announcing them,
   * since the other replicas still list them, unless a survivor swept them
   * meanwhile (the record script knows); retried while Redis stays up.
   */
  async restore(): Promise<void> {
    while (this.connections.isReady()) {
      try {
        await this.sayAlive();
        await this.recordAll();
        return;
      } catch (err) {
        this.options.log.warn({ err: describe(err) }, 'could not record this replica’s members after reconnecting; retrying');
        await pause(250);
      }
    }
  }

  /** On a clean stop: this replica's members leave at once, not when its liveness key expires. */
  async removeAll(): Promise<void> {
    if (this.connections.commands.status !== 'ready') return;
    try {
      for (const [room, members] of this.local) await this.remove(room, [...members.values()]);
      await this.connections.commands.del(livenessKey(this.options.instance, this.boot));
    } catch (err) {
      this.options.log.warn({ err: describe(err) }, 'could not remove this replica’s members from Redis; survivors will');
    }
    this.local.clear();
  }

  /**
   * Whether the member's incarnation is alive, or true when its liveness key
   * cannot be read now: on a cluster it lives on a master of its own, and
   * while that master fails over, every room holding that incarnation's
   * members would otherwise fail its reads and sweeps. Its members are swept
   * once the key reads absent.
   */
  private async isAliveOrUnread(member: StoredMember): Promise<boolean> {
    try {
      return await this.connections.run('members', () => this.isAlive(member));
    } catch (err) {
      if (!(err instanceof BrokerUnavailableError)) throw err;
      this.livenessUnread({ instance: member.instance, err: err.message });
      return true;
    }
  }

  private async isAlive(member: StoredMember): Promise<boolean> {
    // A record without a boot id comes from a replica older than boot ids: nothing can vouch for it.
    if (member.boot === undefined) return false;
    return (await this.connections.commands.exists(livenessKey(member.instance, member.boot))) === 1;
  }

  /** Refreshes this incarnation's liveness key; false when it had said so before and the key had lapsed. */
  private async sayAlive(): Promise<boolean> {
    const key = livenessKey(this.options.instance, this.boot);
    const previous = await this.connections.commands.set(key, '1', 'PX', this.options.livenessTtlMs, 'GET');
    const lapsed = previous === null && this.saidAlive;
    this.saidAlive = true;
    return !lapsed;
  }

  /** Records every member held here again; announced only where another replica had swept it. */
  private async recordAll(): Promise<void> {
    for (const [room, members] of this.local) {
      for (const member of members.values()) await this.record(room, member, false);
    }
  }

  private record(room: string, member: MemberInfo, announce: boolean): Promise<number> {
    const keys = roomKeys(room);
    const stored = storedJson(member, this.options.instance, this.boot);
    return this.connections.commands.chatRecord(...keys.all, keys.channel, member.id, stored, publicJson(member), this.options.roomTtlMs, announce ? '1' : '0');
  }

  /** `swept`: they did not leave; their replica's incarnation is gone (or was cut off for longer than its liveness key lives). */
  private remove(room: string, members: MemberInfo[], swept = false): Promise<number> {
    const keys = roomKeys(room);
    const pairs = members.flatMap((m) => [m.id, publicJson(m)]);
    return this.connections.commands.chatLeave(...keys.all, keys.channel, this.options.roomTtlMs, swept ? '1' : '0', ...pairs);
  }
}
