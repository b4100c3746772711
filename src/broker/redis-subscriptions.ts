import { type ChatMessage, type MessageId, compareMessageIds, formatMessageId, parseMessageId } from '../protocol/index.ts';
import type { Logger } from '../logger.ts';
import type { RoomEvent, RoomListener } from './broker.ts';
import { type StreamEntry, decodeEntry, decodeEvent } from './redis-codec.ts';
import { type RedisConnections, describe, pause } from './redis-connection.ts';
import { roomKeys, roomOfChannel } from './redis-keys.ts';

/** How many live events a room holds while its gap is read, by default: past it, the room is reset. */
export const DEFAULT_MAX_HELD_EVENTS = 10_000;

export interface RoomSubscriptionsOptions {
  log: Logger;
  maxHeldEvents: number;
}

interface Subscription {
  readonly room: string;
  readonly channel: string;
  readonly listener: RoomListener;
  /** The last message delivered to the listener: nothing at or below it is delivered again. */
  delivered: MessageId | null;
  /** The end of the log when the subscription began: where a gap read starts if nothing was delivered. */
  floor: MessageId | null;
  /**
   * The message at `delivered`, or else at `floor`: a gap read checks that the
   * log still holds this very message there, not just its id (after Redis lost
   * its data with its clock behind, a new message can be given an old id).
   */
  last: ChatMessage | null;
  /** While a gap is read after a reconnect, live events wait here; null when none is being read. */
  held: RoomEvent[] | null;
  /** While subscribe is reading where the log ends (`floor`): a gap read starts there, so it waits. */
  starting: Promise<void> | null;
}

/**
 * The rooms this replica listens to, on the subscriber connection: a channel
 * per room held (on a cluster, a sharded channel on the room's master). After
 * the subscriber reconnects, or a cluster's slot map changed, it subscribes every room
 * again and delivers, from the stream, what was published while it was away,
 * then the live events that arrived meanwhile, so each listener sees the
 * room's one order without a gap, or is told that it cannot (`reset`) when
 * the log no longer holds where it was: Redis restarted without its data,
 * and a message acked just before may have died with it. Presence events sent
 * while it was away are lost: each listener is told so (`presence-gap`).
 */
export class RoomSubscriptions {
  private readonly byChannel = new Map<string, Subscription>();
  /** Counts subscriber reconnects, so that only the newest one resyncs. */
  private resyncs = 0;
  /**
   * Rooms unsubscribed while the client was down, where it subscribes them
   * again by itself when it is back (a cluster): unsubscribed at the next
   * resync, then forgotten; one subscribed again meanwhile is taken out.
   */
  private readonly droppedWhileDown = new Set<string>();
  private closed = false;

  constructor(
    private readonly connections: RedisConnections,
    private readonly options: RoomSubscriptionsOptions,
  ) {
    connections.onChannelMessage((channel, payload) => this.onChannelMessage(channel, payload));
  }

  /** The last message id delivered in `room` here: the floor for the next id. */
  lastDelivered(room: string): MessageId | null {
    return this.byChannel.get(roomKeys(room).channel)?.delivered ?? null;
  }

  async subscribe(room: string, listener: RoomListener): Promise<void> {
    const { channel, log } = roomKeys(room);
    const subscription: Subscription = { room, channel, listener, delivered: null, floor: null, last: null, held: null, starting: null };
    this.byChannel.set(channel, subscription);
    this.droppedWhileDown.delete(channel);
    const { commands } = this.connections;
    subscription.starting = (async () => {
      await this.connections.run('subscribe', () => this.connections.subscribeChannels([channel])[0]!);
      const [last] = await this.connections.run('subscribe', () => commands.xrevrange(log, '+', '-', 'COUNT', 1));
      subscription.floor = last ? parseMessageId(last[0]) : null;
      subscription.last = last ? decodeEntry(room, last) : null;
    })();
    try {
      await subscription.starting;
    } catch (err) {
      if (this.byChannel.get(channel) === subscription) this.byChannel.delete(channel);
      throw err;
    } finally {
      subscription.starting = null;
    }
  }

  async unsubscribe(room: string, listener: RoomListener): Promise<void> {
    const { channel } = roomKeys(room);
    if (this.byChannel.get(channel)?.listener !== listener) return;
    this.byChannel.delete(channel);
    // While disconnected there is nothing to undo now: a reconnect subscribes only what is held,
    // or (a cluster) the next resync unsubscribes what its client took back by itself.
    if (!this.connections.subscriberIsUp()) {
      if (this.connections.resubscribesByItself()) this.droppedWhileDown.add(channel);
      return;
    }
    try {
      await this.connections.unsubscribeChannel(channel);
    } catch (err) {
      // Its events are ignored from now on; the next reconnect drops the channel.
      this.options.log.warn({ room, err: describe(err) }, 'could not unsubscribe a room');
    }
  }

  /**
   * The subscriber (re)connected: subscribe every room held, then deliver from
   * the stream what was published while away, then what arrived meanwhile.
   * A newer reconnect takes over from an older one still at work.
   */
  async resync(): Promise<void> {
    const generation = ++this.resyncs;
    this.unsubscribeDropped();
    // The rooms held now; one subscribed later starts on the new connection, with no gap to read or tell of.
    const held = new Set(this.byChannel.values());
    for (const s of held) s.held ??= [];
    const toldOfGap = new Set<Subscription>();
    // Rooms whose gap was read: on a cluster, the rooms of a shard that is failing over are
    // retried alone, while those on the other shards go on live.
    const caughtUp = new Set<Subscription>();
    while (!this.closed && generation === this.resyncs && this.connections.subscriberIsUp()) {
      const rooms = [...this.byChannel.values()].filter((s) => held.has(s) && !caughtUp.has(s));
      if (rooms.length === 0) return;
      const subscribed = this.connections.subscribeChannels(rooms.map((s) => s.channel));
      const problems = await Promise.all(
        rooms.map(async (s, i) => {
          try {
            await subscribed[i];
            // Presence has no log to read a gap from: who keeps a member list reads it again, once subscribed.
            if (!toldOfGap.has(s)) {
              toldOfGap.add(s);
              s.listener({ type: 'presence-gap' });
            }
            await this.deliverGap(s, generation);
            caughtUp.add(s);
            return undefined;
          } catch (err) {
            return { err };
          }
        }),
      );
      if (generation !== this.resyncs) return;
      const failed = problems.filter((p) => p !== undefined);
      if (failed.length === 0) {
        this.options.log.info({ rooms: caughtUp.size }, 'resubscribed after reconnecting to Redis');
        return;
      }
      this.options.log.warn({ err: describe(failed[0]!.err), rooms: failed.length }, 'could not read the gap after reconnecting; retrying');
      await pause(250);
    }
  }

  private unsubscribeDropped(): void {
    for (const channel of this.droppedWhileDown) {
      this.droppedWhileDown.delete(channel);
      this.connections.unsubscribeChannel(channel).catch((err: unknown) => {
        // Its events are ignored here: no room holds it.
        this.options.log.warn({ channel, err: describe(err) }, 'could not unsubscribe a room dropped while Redis was away');
      });
    }
  }

  close(): void {
    this.closed = true;
    this.droppedWhileDown.clear();
    this.byChannel.clear();
  }

  private onChannelMessage(channel: string, payload: string): void {
    const subscription = this.byChannel.get(channel);
    if (!subscription) return;
    const event = decodeEvent(roomOfChannel(channel), payload);
    if (!event) {
      this.options.log.warn({ channel }, 'ignored a malformed event on a room channel');
      return;
    }
    if (!subscription.held) deliver(subscription, event);
    else if (subscription.held.length < this.options.maxHeldEvents) subscription.held.push(event);
    else this.reset(subscription, [...subscription.held, event], `more than ${this.options.maxHeldEvents} events held while reconnecting to Redis`);
  }

  /**
   * This room's order cannot be continued here without a gap: too many live
   * events came while the gap was unread (the commands connection is down), or
   * the log no longer holds the last message delivered here. Drops what is
   * held, tells the listener (its members reconnect with `since`, which says
   * whether anything may be missing), and delivers live from after the last
   * event dropped.
   */
  private reset(s: Subscription, dropped: RoomEvent[], reason: string): void {
    s.held = null;
    for (const event of dropped) {
      if (event.type !== 'message') continue;
      const id = parseMessageId(event.message.id);
      if (id && (!s.delivered || compareMessageIds(id, s.delivered) > 0)) {
        s.delivered = id;
        s.last = event.message;
      }
    }
    this.options.log.warn({ room: s.room, dropped: dropped.length, reason }, 'reset a room: its members here reconnect');
    s.listener({ type: 'reset', reason });
  }

  private async deliverGap(s: Subscription, generation: number): Promise<void> {
    // No gap to read: the room was reset, or subscribed on this very connection.
    if (s.held === null) return;
    // Subscribed just before the reconnect: the read starts where its log ended then, once known.
    if (s.starting) await s.starting.catch(() => undefined);
    if (this.byChannel.get(s.channel) !== s) return;
    const from = s.delivered ?? s.floor;
    const read = await this.readAfter(s.room, from, s.last);
    // A newer reconnect holds these events now and reads its own gap; a reset or unsubscribe dropped them.
    if (generation !== this.resyncs || s.held === null || this.byChannel.get(s.channel) !== s) return;
    if ('notHeld' in read) {
      // Redis lost its data (a restart without persistence) or trimmed past it: a
      // message acked to its sender may never have reached this replica, and
      // nothing left can prove otherwise. From here on the room goes on from
      // its log as it is now: a new message may have an id at or below the
      // lost one's (another replica's floor was lower), and is not a copy.
      const end = read.end ? decodeEntry(s.room, read.end) : null;
      s.delivered = s.floor = end ? parseMessageId(end.id) : null;
      s.last = end;
      return this.reset(s, s.held, 'the room’s log no longer holds the last message delivered here (Redis lost its data, or trimmed past it)');
    }
    for (const entry of read.entries) deliver(s, { type: 'message', message: decodeEntry(s.room, entry) });
    const held = s.held;
    s.held = null;
    for (const event of held) deliver(s, event);
  }

  /**
   * The log after `from`, in one transaction with the check that it still
   * holds `message` at `from` (so no trim falls between); when it does not,
   * the log's last entry, where the room goes on from.
   */
  private async readAfter(room: string, from: MessageId | null, message: ChatMessage | null): Promise<{ entries: StreamEntry[] } | { notHeld: true; end: StreamEntry | null }> {
    const { log } = roomKeys(room);
    const { commands } = this.connections;
    if (!from) return { entries: await commands.xrange(log, '-', '+') };
    const id = formatMessageId(from);
    const replies = (await commands.multi().xrange(log, id, id).xrange(log, `(${id}`, '+').xrevrange(log, '+', '-', 'COUNT', 1).exec()) ?? [];
    const [held, after, end] = replies.map(([err, value]) => {
      if (err) throw err;
      return value as StreamEntry[];
    });
    const found = held?.[0] ? decodeEntry(room, held[0]) : null;
    if (!found || (message && (found.from.id !== message.from.id || found.text !== message.text))) return { notHeld: true, end: end?.[0] ?? null };
    return { entries: after ?? [] };
  }
}

function deliver(s: Subscription, event: RoomEvent): void {
  if (event.type === 'message') {
    const id = parseMessageId(event.message.id);
    if (!id) return;
    // After a gap read, live copies of what it delivered are dropped here.
    if (s.delivered && compareMessageIds(id, s.delivered) <= 0) return;
    s.delivered = id;
    s.last = event.message;
  }
  s.listener(event);
}
