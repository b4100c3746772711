import {
  type ChatMessage,
  type ClientMessage,
  type MemberInfo,
  CloseCode,
  ProtocolError,
  MAX_FRAMES_PER_SECOND,
  PONG,
  compareMessageIds,
  parseMessageId,
  type MessageId,
  encodeAck,
  encodeError,
  encodeMessage,
  encodeRefreshed,
  parseClientFrame,
  utf8Length,
} from '../protocol/index.ts';
import { BrokerUnavailableError } from '../broker/broker.ts';
import { type TokenClaims, grantsRoom } from '../auth/claims.ts';
import { logRefusal } from '../log-bounds.ts';
import type { MemberSocket } from './member-socket.ts';
import type { RoomOptions } from './room-options.ts';
import { TokenBucket } from './token-bucket.ts';

type Close = (typeof CloseCode)[keyof typeof CloseCode];

/** While a backlog is sent, wait whenever more than this is unsent: the server paces to the reader. */
const PACE_HIGH_WATER = 256 * 1024;
const PACE_POLL_MS = 10;
const PACE_GIVE_UP_MS = 30_000;

/** What arrived for a member before its welcome and backlog were out. */
interface Pending {
  frames: string[];
  /** Each frame's shared UTF-8 encoding when it had one, so the flush encodes nothing again. */
  utf8: (Uint8Array | null)[];
  ids: (MessageId | null)[];
  bytes: number;
}

/**
 * One connection in one room on this replica: what it sends us, in the order
 * docs/protocol.md checks it, and what we send it. Until its welcome and backlog are
 * out, everything for it waits in `pending`, so nothing overtakes the welcome.
 *
 * A replica holds tens of thousands of these, mostly idle: what only some
 * members need (a queue before the welcome, rate buckets for one that sends)
 * is made when first needed, not with every member.
 */
export class Member {
  private live = false;
  private closed = false;
  private pending: Pending | null = null;
  /** The last backlog message's id, until a live message passes it. */
  private backlogEnd: MessageId | null = null;
  /** Made at the first frame: a bucket starts full, so one made then holds what one made at the connect would. */
  private frames: TokenBucket | null = null;
  private messages: TokenBucket | null = null;
  /** Called once when the member is gone, whoever closed. */
  onGone: (() => void) | null = null;

  constructor(
    readonly info: MemberInfo,
    readonly room: string,
    private readonly socket: MemberSocket,
    private readonly options: RoomOptions,
    /** The client's address, for log lines (at the edge, kept through a hibernation in the socket's attachment). */
    readonly address: string | undefined = undefined,
  ) {}

  get id(): string {
    return this.info.id;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The fan-out hot path: a frame serialized and UTF-8 encoded once for all
   * members (`utf8`, when the room has it), and its parsed id; no allocation here.
   */
  deliver(frame: string, utf8: Uint8Array | null, messageId: MessageId | null): void {
    if (this.closed) return;
    if (!this.live) {
      const pending = (this.pending ??= { frames: [], utf8: [], ids: [], bytes: 0 });
      pending.frames.push(frame);
      pending.utf8.push(utf8);
      pending.ids.push(messageId);
      pending.bytes += utf8?.byteLength ?? utf8Length(frame);
      if (pending.bytes > this.options.sendBufferLimit) this.close(CloseCode.tryAgainLater);
      return;
    }
    if (this.backlogEnd !== null && messageId !== null) {
      // The broker's live copy of a backlog message can come after the backlog
      // (history and live arrive on different connections); messages come in id
      // order, so the first one past the backlog ends the check.
      if (compareMessageIds(messageId, this.backlogEnd) <= 0) return;
      this.backlogEnd = null;
    }
    this.write(frame, utf8);
  }

  /** A frame for this member alone (ack, error, pong). */
  private reply(frame: string): void {
    this.deliver(frame, null, null);
  }

  /**
   * Sends the welcome, then the backlog paced to the reader, then what arrived
   * meanwhile. `lastSeen` is the newest id the member has once the backlog is
   * out: live copies up to it are dropped.
   */
  async start(welcome: string, backlog: ChatMessage[], lastSeen: string | undefined): Promise<void> {
    if (this.closed) return;
    this.socket.send(welcome, null);
    // The welcome and backlog are paced, not held to the send-buffer limit: a
    // big room's welcome alone must never be what closes a newcomer.
    const highWater = Math.min(PACE_HIGH_WATER, this.options.sendBufferLimit);
    if (this.socket.bufferedAmount() > highWater) await this.drained(highWater);
    for (const message of backlog) {
      if (this.closed) return;
      this.socket.send(encodeMessage(message), null);
      if (this.socket.bufferedAmount() > highWater) await this.drained(highWater);
    }
    if (this.closed) return;
    this.backlogEnd = lastSeen === undefined ? null : parseMessageId(lastSeen);
    this.live = true;
    const pending = this.pending;
    this.pending = null;
    if (pending) for (let i = 0; i < pending.frames.length; i++) this.deliver(pending.frames[i]!, pending.utf8[i]!, pending.ids[i]!);
  }

  /** For a member whose welcome and backlog went out before a restart of this code (a hibernation). */
  resume(): void {
    this.live = true;
  }

  /** A binary data frame, which the protocol refuses after the size and frame-rate checks. */
  receiveBinary(byteLength: number): void {
    if (!this.admitFrame(byteLength)) return;
    this.reply(encodeError('bad_request', 'binary frames are not accepted; send JSON text'));
  }

  /** A text data frame, checked in the order docs/protocol.md gives. */
  receive(data: string): void {
    if (!this.admitFrame(utf8Length(data))) return;
    const frame = parseClientFrame(data);
    if (frame instanceof ProtocolError) return this.reply(encodeError(frame.code, frame.message, frame.ref));
    if (frame.type === 'ping') return this.reply(PONG);
    if (frame.type === 'refresh') return void this.refresh(frame.token);
    if (this.options.rateLimit > 0 && !this.messageBucket().take()) {
      const message = `more than ${this.options.rateLimit} messages a second; this one was dropped`;
      return this.reply(encodeError('rate_limited', message, frame.ref));
    }
    this.options.metrics?.messageReceived();
    void this.publish(frame);
  }

  private admitFrame(bytes: number): boolean {
    if (this.closed) return false;
    if (bytes > this.options.maxFrameBytes) {
      this.close(CloseCode.tooBig);
      return false;
    }
    if (!this.frameBucket().take()) {
      this.close(CloseCode.policyViolation);
      return false;
    }
    return true;
  }

  private frameBucket(): TokenBucket {
    return (this.frames ??= new TokenBucket(MAX_FRAMES_PER_SECOND, MAX_FRAMES_PER_SECOND, this.options.now ?? Date.now));
  }

  private messageBucket(): TokenBucket {
    const { rateLimit, now } = this.options;
    return (this.messages ??= new TokenBucket(rateLimit, 2 * rateLimit, now ?? Date.now));
  }

  /**
   * Closes the socket from this side. Every close but a shutdown's (1012) is
   * for cause, a refusal logged at info (bounded per code); each close is
   * logged at debug with its code.
   */
  close(reason: Close): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close(reason.code, reason.reason);
    const { log } = this.options;
    if (reason !== CloseCode.serviceRestart) {
      logRefusal(log, 'member refused', { code: reason.code, reason: reason.reason, room: this.room, member: this.id, address: this.address });
    }
    log.debug?.({ room: this.room, member: this.id, code: reason.code, by: 'server' }, 'member closed');
    this.gone();
  }

  /** The runtime is closing the socket itself, with `code`, for a frame it would not take (over its size limit, bad UTF-8). */
  refusedByRuntime(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const { log } = this.options;
    logRefusal(log, 'member refused', { code, reason: reason.slice(0, 100), room: this.room, member: this.id, address: this.address });
    log.debug?.({ room: this.room, member: this.id, code, by: 'server' }, 'member closed');
    this.gone();
  }

  /** The runtime saw the socket close, with the code the client sent when the runtime tells it. */
  socketClosed(code?: number): void {
    if (!this.closed) this.options.log.debug?.({ room: this.room, member: this.id, code, by: 'client' }, 'member closed');
    this.closed = true;
    this.gone();
  }

  /**
   * A new token for this connection: one for the same `sub` that grants this
   * room moves the deadline; any other leaves the old one standing. Never renames.
   */
  private async refresh(token: string): Promise<void> {
    const { verifyToken, deadlines } = this.options;
    if (!verifyToken || !deadlines) {
      return this.reply(encodeError('bad_request', 'this server runs without tokens; refresh is not used'));
    }
    let claims: TokenClaims;
    try {
      claims = await verifyToken(token);
    } catch (err) {
      if (!(err instanceof ProtocolError)) {
        this.options.log.error({ err, room: this.room, member: this.id }, 'could not check a refresh token');
        return this.reply(encodeError('unauthorized', 'refresh refused: the token could not be checked'));
      }
      return this.reply(encodeError('unauthorized', `refresh refused: ${err.message}`));
    }
    if (claims.sub !== this.info.user) return this.reply(encodeError('unauthorized', 'refresh refused: the token is for another user'));
    if (!grantsRoom(claims.rooms, this.room)) return this.reply(encodeError('unauthorized', 'refresh refused: the token does not grant this room'));
    if (this.closed) return;
    deadlines.set(this, claims.exp * 1000);
    this.reply(encodeRefreshed(claims.exp));
  }

  private async publish(frame: ClientMessage): Promise<void> {
    const started = performance.now();
    try {
      const published = await this.options.broker.publish({
        room: this.room,
        from: this.info,
        text: frame.text,
        ref: frame.ref,
      });
      this.reply(encodeAck(published.id, published.ts, frame.ref));
      this.options.metrics?.publishSeconds((performance.now() - started) / 1000);
    } catch (err) {
      if (!(err instanceof BrokerUnavailableError)) {
        this.options.log.error({ err, room: this.room, member: this.id }, 'publish failed');
      }
      this.reply(encodeError('unavailable', 'the message could not be published; send it again', frame.ref));
    }
  }

  private write(frame: string, utf8: Uint8Array | null): void {
    this.socket.send(frame, utf8);
    if (this.socket.bufferedAmount() > this.options.sendBufferLimit) this.close(CloseCode.tryAgainLater);
  }

  /** Waits for the reader to catch up; one that reads nothing for PACE_GIVE_UP_MS is closed like any slow reader. */
  private async drained(highWater: number): Promise<void> {
    const giveUp = Date.now() + PACE_GIVE_UP_MS;
    while (!this.closed && this.socket.bufferedAmount() > highWater / 2) {
      if (Date.now() > giveUp) return this.close(CloseCode.tryAgainLater);
      await new Promise((resolve) => setTimeout(resolve, PACE_POLL_MS));
    }
  }

  private gone(): void {
    const onGone = this.onGone;
    this.onGone = null;
    onGone?.();
  }
}
