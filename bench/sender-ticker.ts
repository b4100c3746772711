const TICK_MS = 5;
/**
 * At most this much of a second's sending is caught up at once after the thread
 * was busy receiving: half a second of 50 msg/s is 25 frames for one sender,
 * well inside our server's burst of 100 frames.
 */
const MAX_CATCH_UP_SECONDS = 0.5;

/**
 * Sends `rate` messages a second, in total, round-robin over `senders` slots,
 * for a given time. A tick the thread could not run in time is caught up only
 * partly: the step then sends less than asked, and reports what it sent.
 */
export class SenderTicker {
  private readonly sent: number[];

  constructor(
    senders: number,
    private readonly rate: number,
    private readonly sendOne: (slot: number, seq: number) => void,
  ) {
    this.sent = new Array<number>(senders).fill(0);
  }

  async run(durationMs: number): Promise<number[]> {
    if (this.sent.length === 0 || this.rate <= 0) return this.sent;
    const start = performance.now();
    let total = 0;
    let slot = 0;
    let skipped = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = Math.min(performance.now() - start, durationMs);
        const due = Math.floor((this.rate * elapsed) / 1000) - skipped;
        const behind = due - total - Math.ceil(this.rate * MAX_CATCH_UP_SECONDS);
        if (behind > 0) skipped += behind;
        for (; total < due - Math.max(0, behind); total++) {
          this.sendOne(slot, this.sent[slot]!++);
          slot = (slot + 1) % this.sent.length;
        }
        if (elapsed >= durationMs) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
    return this.sent;
  }
}
