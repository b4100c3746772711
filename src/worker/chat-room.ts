import { DurableObject } from 'cloudflare:workers';
import type { Page, PageRequest, Published, PublishRequest } from '../broker/broker.ts';
import type { MemberInfo } from '../protocol/index.ts';
import { type Member, RoomRegistry } from '../room/index.ts';
import { AlarmDeadlines } from './alarm-deadlines.ts';
import { AlarmSchedule } from './alarm-schedule.ts';
import { consoleLogger } from './console-logger.ts';
import { DurableObjectBroker } from './durable-object-broker.ts';
import { edgeTokenCheck } from './edge-access.ts';
import { edgeConfig } from './edge-config.ts';
import type { Env } from './env.ts';
import { RoomLifetime } from './room-lifetime.ts';
import { RoomLog } from './room-log.ts';
import { fromWorker } from './room-object-request.ts';
import { type SavedMember, updateSavedMember, workerMemberSocket } from './worker-member-socket.ts';

/**
 * One room at the edge: the same RoomRegistry as a Node replica, over a broker
 * that lives in this object and is the room's presence too. Sockets are
 * accepted for hibernation, so an idle room is evicted from memory while its
 * members stay connected; when a frame wakes it, the constructor finds them
 * again with their saved identities and token deadlines. Rate-limit buckets
 * start full after a wake. The object's one alarm closes members whose token
 * expired and deletes an empty, quiet room's storage after ROOM_TTL (see
 * AlarmSchedule).
 */
export class ChatRoom extends DurableObject<Env> {
  private readonly roomLog: RoomLog;
  private readonly schedule: AlarmSchedule;
  private readonly lifetime: RoomLifetime;
  private readonly deadlines: AlarmDeadlines;
  private readonly broker: DurableObjectBroker;
  private readonly registry: RoomRegistry;
  private readonly members = new Map<WebSocket, Member>();
  private readonly sockets = new Map<Member, WebSocket>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = edgeConfig(env);
    const log = consoleLogger({ object: ctx.id.toString() }, () => config.logLevel);
    this.roomLog = new RoomLog(ctx.storage.sql, config.historySize);
    this.schedule = new AlarmSchedule(ctx.storage, log);
    this.lifetime = new RoomLifetime(ctx.storage, config.roomTtlSeconds * 1000, this.schedule, log);
    this.deadlines = new AlarmDeadlines(this.schedule, (member, at) => this.saveDeadline(member, at));
    this.schedule.add(this.lifetime);
    this.schedule.add(this.deadlines);
    this.broker = new DurableObjectBroker(this.roomLog, this.lifetime);
    const verifyToken = edgeTokenCheck(env);
    this.registry = new RoomRegistry({
      broker: this.broker,
      presence: this.broker,
      log,
      instance: config.instanceId,
      rateLimit: config.rateLimit,
      maxFrameBytes: config.maxFrameBytes,
      sendBufferLimit: config.sendBufferLimit,
      presenceLimit: config.presenceLimit,
      verifyToken,
      deadlines: verifyToken && this.deadlines,
    });
    const restored: [Member, SavedMember][] = [];
    for (const ws of ctx.getWebSockets()) {
      const saved = ws.deserializeAttachment() as SavedMember | null;
      if (!saved || saved.closing) continue;
      restored.push([this.restore(ws, saved), saved]);
    }
    // Once all are back, so that the others see the leave of one whose token expired while the object slept.
    for (const [member, saved] of restored) {
      if (saved.expiresAt !== undefined) this.deadlines.set(member, saved.expiresAt);
    }
  }

  /** A member the Worker checked and forwarded here (see roomObjectGateway). */
  override async fetch(request: Request): Promise<Response> {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    const connect = fromWorker(request);
    // Cloudflare sets it on every request from outside (and replaces one a client sent); the Worker passes it on.
    const address = request.headers.get('cf-connecting-ip') ?? undefined;
    const member = this.registry.connect(connect, workerMemberSocket(server), address);
    if (member.isClosed) return new Response(null, { status: 101, webSocket: client });
    const saved: SavedMember = { room: connect.room, info: member.info };
    if (address !== undefined) saved.address = address;
    if (connect.expiresAt !== undefined) saved.expiresAt = connect.expiresAt;
    server.serializeAttachment(saved);
    this.track(server, member);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * The HTTP API's publish, checked by the Worker (roomObjectService): given
   * its id here and announced to this room's members like any message; a
   * re-sent ref is answered with the first one's id (refs are the room's one namespace).
   */
  async apiPublish(request: PublishRequest): Promise<Published> {
    return this.broker.publish(request);
  }

  /** A page of this room's log, for the HTTP API and the page's history route. */
  async apiPage(room: string, request: PageRequest): Promise<Page> {
    return this.broker.page(room, request);
  }

  /** Everyone in this room: every member is a socket of this object. */
  async apiMembers(room: string): Promise<MemberInfo[]> {
    return this.broker.members(room);
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const member = this.members.get(ws);
    if (!member) return;
    if (typeof data === 'string') member.receive(data);
    else member.receiveBinary(data.byteLength);
  }

  /**
   * workerd answers a peer's close frame by itself only for sockets it does not
   * hold for hibernation, so the close is sent back here.
   */
  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    ws.close(sendableCloseCode(code), reason);
    this.gone(ws, code);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.gone(ws);
  }

  /**
   * The one alarm (AlarmSchedule): members whose token expired are closed with
   * 4001, then ROOM_TTL may forget the room if it is still empty and nothing was
   * written since it went quiet; then the alarm is set for what comes next.
   */
  override async alarm(): Promise<void> {
    const dueBy = await this.schedule.fired();
    this.deadlines.expire(dueBy);
    const hasMembers = this.registry.connections > 0;
    if (await this.lifetime.due(dueBy, hasMembers, this.roomLog.last()?.id.ms ?? null)) {
      await this.ctx.storage.deleteAll();
      this.broker.forgotten();
      this.lifetime.forgotten();
    }
    await this.schedule.reschedule();
  }

  private restore(ws: WebSocket, saved: SavedMember): Member {
    this.broker.remember(saved.info);
    const member = this.registry.restore(saved.room, saved.info, workerMemberSocket(ws), saved.address);
    this.track(ws, member);
    return member;
  }

  private track(ws: WebSocket, member: Member): void {
    this.members.set(ws, member);
    this.sockets.set(member, ws);
  }

  /** A refreshed deadline goes into the attachment, so that a wake restores it; a new member's is saved by fetch. */
  private saveDeadline(member: Member, at: number): void {
    const ws = this.sockets.get(member);
    if (ws) updateSavedMember(ws, { expiresAt: at });
  }

  private gone(ws: WebSocket, code?: number): void {
    let member = this.members.get(ws);
    if (!member) {
      // A close that woke the object: its socket is no longer among getWebSockets(),
      // so the member is taken back here, to leave like any other.
      const saved = ws.deserializeAttachment() as SavedMember | null;
      if (!saved || saved.closing) return;
      member = this.restore(ws, saved);
    }
    member.socketClosed(code);
    this.members.delete(ws);
    this.sockets.delete(member);
  }
}

/** The peer's code echoed, as RFC 6455 asks, unless it is one that must not be sent (1005, 1006, 1015). */
function sendableCloseCode(code: number): number {
  const sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  return sendable ? code : 1000;
}
