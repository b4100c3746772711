import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { MemberSocket } from '../room/index.ts';
import { FanOutFrame } from './text-frame.ts';
import { FLUSH_BYTES, WriteCoalescer } from './write-coalescer.ts';

/** ws sends a Buffer given with `binary: false` as a text frame, without encoding it again. */
const AS_TEXT = { binary: false } as const;

/** One per process: a turn of the event loop is the whole process's. */
const coalescer = new WriteCoalescer();
const fanOutFrame = new FanOutFrame();

/**
 * The parts of ws's WebSocket (8.x) that are not its API: the socket it writes
 * to and its Sender, whose `sendFrame` writes a frame built elsewhere, as
 * engine.io does with the frame socket.io-adapter builds once per broadcast:
 * https://github.com/socketio/socket.io/blob/main/packages/engine.io/lib/transports/websocket.ts
 * https://github.com/websockets/ws/blob/8.23.0/lib/sender.js
 */
interface WsInternals {
  _socket: Duplex;
  _sender: {
    /** 0 (DEFAULT) unless it is compressing or reading a Blob, when its writes queue. */
    _state: number;
    _queue: unknown[];
    sendFrame(list: Buffer[]): void;
  };
}

/** ws's internals when they have the shape this was written against, else null (then ws.send is used). */
function internalsOf(ws: WebSocket): WsInternals | null {
  const raw = ws as unknown as Partial<WsInternals>;
  const socket = raw._socket;
  const sender = raw._sender;
  if (!socket || typeof socket.cork !== 'function' || typeof socket.writableCorked !== 'number') return null;
  if (!sender || typeof sender.sendFrame !== 'function' || typeof sender._state !== 'number' || !Array.isArray(sender._queue)) return null;
  return raw as WsInternals;
}

/**
 * A member's `ws` socket as the room sees it. A frame the room shares with
 * every member goes out pre-framed (built once per fan-out), and a turn's
 * frames for one member in one write (the coalescer), held back no more than
 * half the send-buffer limit, so that holding them never makes a reader that
 * keeps up look slow (1013).
 */
export class NodeMemberSocket implements MemberSocket {
  private readonly internals: WsInternals | null;
  /** The server does not offer permessage-deflate (ws's default); were it on, ws must compress each frame itself. */
  private readonly preFramed: boolean;
  private readonly flushBytes: number;

  constructor(
    private readonly raw: WebSocket,
    sendBufferLimit: number,
  ) {
    this.internals = internalsOf(raw);
    this.preFramed = this.internals !== null && raw.extensions === '';
    this.flushBytes = Math.min(FLUSH_BYTES, Math.floor(sendBufferLimit / 2));
  }

  send(frame: string, utf8: Uint8Array | null): void {
    const { raw, internals } = this;
    if (!internals) return void (utf8 ? raw.send(utf8, AS_TEXT) : raw.send(frame));
    const { _socket: socket, _sender: sender } = internals;
    coalescer.hold(socket);
    // A frame of its own goes out only where ws.send would write at once; else ws queues it in order.
    if (utf8 && this.preFramed && raw.readyState === raw.OPEN && sender._state === 0 && sender._queue.length === 0) {
      sender.sendFrame(fanOutFrame.for(utf8));
    } else if (utf8) {
      raw.send(utf8, AS_TEXT);
    } else {
      raw.send(frame);
    }
    coalescer.written(socket, this.flushBytes);
  }

  close(code: number, reason: string): void {
    this.raw.close(code, reason);
  }

  bufferedAmount(): number {
    return this.raw.bufferedAmount;
  }
}
