/**
 * A room as the client keeps it: messages delivered once and in order,
 * sends acked once, members, status and listeners, over a RoomConnection.
 */
import type * as frames from '../protocol/frames.ts';
import { compareMessageIds, parseMessageId } from '../protocol/message-id.ts';
import { ChatClientError } from './chat-client-error.ts';
import { Listeners, type Listener } from './events.ts';
import { MemberList } from './member-list.ts';
import { RefreshRequests } from './refresh-requests.ts';
import { RoomConnection } from './room-connection.ts';
import type { ChatRoom, ConnectOptions, RoomStatus, SendOptions } from './room-types.ts';
import { RATE_LIMITED_PAUSE_MS, SendQueue } from './send-queue.ts';

type ChatMessage = frames.ChatMessage;
type MemberInfo = frames.MemberInfo;
type WelcomeFrame = frames.WelcomeFrame;

/** A welcome without `since` brings the room's newest min(N, 50) messages (docs/protocol.md "Backlog"). */
const RECENT_BACKLOG = 50;

export class ChatRoomClient implements ChatRoom {
  private readonly events = new Listeners();
  private readonly connection: RoomConnection;
  private readonly sends: SendQueue;
  private readonly refreshes: RefreshRequests;
  private readonly members = new MemberList();
  private currentStatus: RoomStatus;
  private youNow: MemberInfo | null = null;
  /** Our member ids: our own messages coming back are not emitted. */
  private readonly ownIds = new Set<string>();
  private last: string | null;
  private unavailableStreak = 0;
  /** Whether an earlier connection was welcomed: a later welcome without `since` may have missed messages. */
  private welcomedBefore = false;
  private ignored = 0;

  constructor(baseUrl: string, room: string, options: ConnectOptions) {
    this.connection = new RoomConnection(baseUrl, room, options, {
      since: () => this.last,
      status: (s) => this.setStatus(s),
      frame: (frame, askedSince) => this.onFrame(frame, askedSince),
      badFrame: () => void this.ignored++,
      dropped: () => {
        this.sends.unsendAll();
        this.refreshes.unsendAll();
      },
      stopped: (reason) => {
        const error = new ChatClientError('closed', `room is closed: ${reason}`);
        this.sends.rejectAll(error);
        this.refreshes.rejectAll(error);
      },
    });
    const liveSocket = () => this.connection.liveSocket();
    this.sends = new SendQueue(options.sendRate, liveSocket);
    this.refreshes = new RefreshRequests(liveSocket);
    this.last = options.since ?? null;
    this.currentStatus = { state: 'connecting', attempt: 1 };
    // Listeners attached right after connectRoom() see the first status.
    queueMicrotask(() => {
      if (this.connection.closed) return;
      this.events.emit('status', this.currentStatus);
      void this.connection.connect();
    });
  }

  get you(): MemberInfo | null {
    return this.youNow;
  }
  get lastId(): string | null {
    return this.last;
  }
  get status(): RoomStatus {
    return this.currentStatus;
  }
  get ignoredFrames(): number {
    return this.ignored;
  }

  on(event: 'message', fn: (m: ChatMessage) => void): () => void;
  on(event: 'members', fn: (list: MemberInfo[], count: number) => void): () => void;
  on(event: 'status', fn: (s: RoomStatus) => void): () => void;
  on(event: 'gap', fn: () => void): () => void;
  on(event: 'welcome', fn: (w: WelcomeFrame) => void): () => void;
  on(event: string, fn: Listener): () => void {
    return this.events.on(event, fn);
  }

  send(text: string, options: SendOptions = {}): Promise<{ id: string; ts: number }> {
    if (this.connection.closed) return Promise.reject(new ChatClientError('closed', `room is closed: ${(this.currentStatus as { reason?: string }).reason ?? 'closed'}`));
    return this.sends.add(text, options);
  }

  refresh(token: string): Promise<number> {
    if (this.connection.closed) return Promise.reject(new ChatClientError('closed', 'room is closed'));
    return this.refreshes.add(token);
  }

  close(): void {
    this.connection.stop('closed by client', undefined, 1000);
  }

  private setStatus(s: RoomStatus): void {
    this.currentStatus = s;
    this.events.emit('status', s);
  }

  private emitMembers(): void {
    this.events.emit('members', this.members.list(), this.members.count);
  }

  private onFrame(frame: frames.ServerFrame, askedSince: boolean): void {
    switch (frame.type) {
      case 'welcome':
        return this.onWelcome(frame, askedSince);
      case 'message':
        return this.onMessage(frame);
      case 'ack':
        if (frame.ref !== undefined && this.sends.acked(frame.ref, frame.id, frame.ts)) this.unavailableStreak = 0;
        return;
      case 'join':
        if (this.members.join(frame.member)) this.emitMembers();
        return;
      case 'leave':
        if (this.members.leave(frame.member.id)) this.emitMembers();
        return;
      case 'count':
        if (this.members.setCount(frame.members)) this.emitMembers();
        return;
      case 'refreshed':
        return this.onRefreshed(frame);
      case 'error':
        return this.onError(frame);
      default:
        return; // pong, and anything newer
    }
  }

  private onWelcome(w: WelcomeFrame, askedSince: boolean): void {
    this.connection.welcomed();
    this.unavailableStreak = 0;
    this.youNow = w.you;
    this.ownIds.add(w.you.id);
    this.members.reset(w.members, w.memberCount);
    this.sends.resetPace();
    // Without `since` (nothing delivered yet), the backlog is the newest min(N, 50): after an
    // earlier connection, a full one cannot prove that nothing came between the two.
    const gap = askedSince ? !w.recovered : this.welcomedBefore && w.backlog >= RECENT_BACKLOG;
    this.welcomedBefore = true;
    this.setStatus({ state: 'live', instance: w.instance, recovered: w.recovered });
    this.events.emit('welcome', w);
    this.emitMembers();
    if (gap) this.events.emit('gap');
    this.connection.startKeepalive();
    this.refreshes.sendUnsent();
    this.sends.pump();
  }

  private onMessage(m: frames.MessageFrame): void {
    const id = parseMessageId(m.id);
    if (!id) return;
    const last = this.last === null ? null : parseMessageId(this.last);
    if (last && compareMessageIds(id, last) <= 0) return; // delivered already
    // Ours, from an earlier connection, is not emitted (`send` told it); `last` moves only once it is told.
    if (!this.ownIds.has(m.from.id)) this.events.emit('message', { id: m.id, room: m.room, from: m.from, text: m.text, ts: m.ts } satisfies ChatMessage);
    this.last = m.id;
  }

  private onRefreshed(f: frames.RefreshedFrame): void {
    const entry = this.refreshes.takeAnswered();
    if (!entry) return;
    this.connection.tokenRefreshed(entry.token);
    entry.resolve(f.exp);
  }

  private onError(f: frames.ErrorFrame): void {
    if (f.ref !== undefined) {
      if (!this.sends.has(f.ref)) return;
      if (f.code === 'rate_limited') this.sends.resendAfter(f.ref, RATE_LIMITED_PAUSE_MS);
      else if (f.code === 'unavailable') this.sends.resendAfter(f.ref, this.connection.backoffMs(++this.unavailableStreak));
      else this.sends.fail(f.ref, new ChatClientError(f.code, f.message));
      return;
    }
    // Without a ref: the answer to a refresh (the only frame this client sends without one, but ping).
    this.refreshes.takeAnswered()?.reject(new ChatClientError(f.code, f.message));
  }
}
