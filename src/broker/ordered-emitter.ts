import type { RoomEvent, RoomListener } from './broker.ts';

/**
 * Delivers each event to all its listeners before the next one starts, even
 * when a listener raises another: so every listener sees one order.
 */
export class OrderedEmitter {
  private readonly queue: Array<[ReadonlySet<RoomListener>, RoomEvent]> = [];
  private emitting = false;

  emit(listeners: ReadonlySet<RoomListener>, event: RoomEvent): void {
    this.queue.push([listeners, event]);
    if (this.emitting) return;
    this.emitting = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        for (const listener of next[0]) listener(next[1]);
      }
    } finally {
      this.emitting = false;
    }
  }
}
