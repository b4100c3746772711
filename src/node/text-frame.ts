/**
 * A final, unmasked WebSocket text frame (RFC 6455 §5.2), as a server sends
 * it: header and payload in one buffer, so that a member's socket takes it in
 * one write. The header is the one ws's `Sender.frame` writes.
 */
export function textFrame(payload: Uint8Array): Buffer {
  const length = payload.byteLength;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt16BE(0, 2);
    frame.writeUIntBE(length, 4, 6);
  }
  frame.set(payload, headerLength);
  return frame;
}

/**
 * The frame of the fan-out under way: the room hands every member the same
 * payload array, so the frame is built for the first member and reused by the
 * rest, with nothing allocated per member.
 */
export class FanOutFrame {
  private payload: Uint8Array | null = null;
  /** The frame as the one-element list ws's `Sender#sendFrame` takes. */
  private list: [Buffer] | null = null;

  for(payload: Uint8Array): [Buffer] {
    if (payload !== this.payload || this.list === null) {
      this.list = [textFrame(payload)];
      this.payload = payload;
    }
    return this.list;
  }
}
