/**
 * A member's connection as the room sees it. Each runtime adapts its own socket
 * (`ws`, a Workers WebSocket) to this, so the room never sees either.
 */
export interface MemberSocket {
  /**
   * Sends one text frame. `utf8` is the same frame already encoded, shared by
   * every member of a fan-out; a runtime that can send bytes as text uses it.
   */
  send(frame: string, utf8: Uint8Array | null): void;
  close(code: number, reason: string): void;
  /** Bytes queued but not yet written to the network; 0 where the runtime cannot tell. */
  bufferedAmount(): number;
}
