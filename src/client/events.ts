/** The listener registry of a room: `on` adds, `emit` calls each listener, shielded from the others' errors. */

export type Listener = (...args: any[]) => void;

export class Listeners {
  private readonly byEvent = new Map<string, Set<Listener>>();

  /** Adds `fn` for `event`; the function returned removes it. */
  on(event: string, fn: Listener): () => void {
    let set = this.byEvent.get(event);
    if (!set) this.byEvent.set(event, (set = new Set()));
    const wrapped: Listener = (...args) => fn(...args);
    set.add(wrapped);
    return () => void set.delete(wrapped);
  }

  emit(event: string, ...args: unknown[]): void {
    const set = this.byEvent.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        // A listener's error must not break the connection; report it as the platform does.
        setTimeout(() => {
          throw err;
        });
      }
    }
  }
}
