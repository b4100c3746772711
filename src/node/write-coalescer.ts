import type { Writable } from 'node:stream';

/**
 * Corked bytes past which a socket is written at once rather than at the end
 * of the turn: a frame burst still goes out in few writes, and what corking
 * holds back from the kernel stays small next to the send-buffer limit that
 * closes a slow reader (the kernel would have taken it from a fast one).
 */
export const FLUSH_BYTES = 64 * 1024;

/**
 * Gathers a turn's writes to each socket into one system call: the first write
 * to a socket in a turn corks it, and one callback at the end of the turn
 * (`process.nextTick`: once the code that wrote returns, before the event
 * loop does any other I/O; promise jobs that write after it start a new batch) uncorks every socket corked in it. Without this, ws
 * writes each frame on its own (its Sender corks and uncorks around every
 * frame), one writev per member per frame.
 *
 * Corked bytes are in the socket's `writableLength`, which ws's
 * `bufferedAmount` counts, so the slow-reader limit still sees them; and a
 * close frame ws writes goes into the same corked socket, after the frames
 * before it.
 */
export class WriteCoalescer {
  /** Sockets corked this turn; a socket written at once (FLUSH_BYTES) and corked again is here twice. */
  private readonly corked: Writable[] = [];
  private scheduled = false;

  constructor(private readonly flushBytes = FLUSH_BYTES) {}

  /** Call before writing to `socket`. */
  hold(socket: Writable): void {
    // ws corks only inside a write and uncorks before returning, so between
    // writes a corked socket is one this coalescer corked.
    if (socket.writableCorked !== 0 || socket.destroyed) return;
    socket.cork();
    this.corked.push(socket);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flush);
    }
  }

  /** Call after writing to `socket`: past `flushBytes` held (by default the coalescer's), it is written now. */
  written(socket: Writable, flushBytes = this.flushBytes): void {
    if (socket.writableCorked !== 0 && socket.writableLength >= flushBytes) socket.uncork();
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const sockets = this.corked;
    // A destroyed socket's uncork only drops its count: Writable discards the
    // buffer of a destroyed stream and reports no error from uncork.
    for (let i = 0; i < sockets.length; i++) {
      const socket = sockets[i]!;
      if (socket.writableCorked !== 0) socket.uncork();
    }
    sockets.length = 0;
  };
}
