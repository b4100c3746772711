import type { Duplex } from 'node:stream';
import type { WSContext } from 'hono/ws';
import type { WebSocket } from 'ws';
import type { MemberSocket } from '../room/index.ts';
import { FanOutFrame } from './text-frame.ts';
import { WriteCoalescer } from './write-coalescer.ts';

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

export function nodeMemberSocket(ws: WSContext<WebSocket>): MemberSocket {
  const raw = ws.raw!;
  const internals = internalsOf(raw);
  // The server does not offer permessage-deflate (ws's default); were it on, ws must compress each frame itself.
  const preFramed = internals !== null && raw.extensions === '';
  return {
    send(frame, utf8) {
      if (!internals) return utf8 ? raw.send(utf8, AS_TEXT) : raw.send(frame);
      const { _socket: socket, _sender: sender } = internals;
      coalescer.hold(socket);
      // A frame of its own goes out only where ws.send would write at once; else ws queues it in order.
      if (utf8 && preFramed && raw.readyState === raw.OPEN && sender._state === 0 && sender._queue.length === 0) {
        sender.sendFrame(fanOutFrame.for(utf8));
      } else if (utf8) {
        raw.send(utf8, AS_TEXT);
      } else {
        raw.send(frame);
      }
      coalescer.written(socket);
    },
    close: (code, reason) => raw.close(code, reason),
    bufferedAmount: () => raw.bufferedAmount,
  };
}
