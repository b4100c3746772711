import type { MemberSocket } from '../../src/room/index.ts';

/**
 * A socket that records what the room sent. `drains: false` makes a reader that
 * never reads: every sent byte stays buffered.
 */
export class FakeSocket implements MemberSocket {
  readonly sent: string[] = [];
  closedWith: { code: number; reason: string } | null = null;
  private buffered = 0;

  constructor(private readonly options: { drains: boolean } = { drains: true }) {}

  send(frame: string, utf8: Uint8Array | null): void {
    if (this.closedWith) return;
    if (utf8 && new TextDecoder().decode(utf8) !== frame) throw new Error('utf8 is not the frame');
    this.sent.push(frame);
    if (!this.options.drains) this.buffered += frame.length;
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }

  bufferedAmount(): number {
    return this.buffered;
  }

  frames(): any[] {
    return this.sent.map((f) => JSON.parse(f));
  }

  ofType(type: string): any[] {
    return this.frames().filter((f) => f.type === type);
  }
}
