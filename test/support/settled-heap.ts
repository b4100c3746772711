import { getHeapCodeStatistics } from 'node:v8';

export interface SettledHeap {
  /** process.memoryUsage().heapUsed. */
  readonly used: number;
  /**
   * What of it is not compiled code or bytecode (with their metadata): for a
   * while after a warm-up V8 keeps compiling functions, and flushing the
   * bytecode of those it has not run lately, which moves `used` by hundreds
   * of KiB either way without anything of the program's being kept.
   */
  readonly data: number;
}

/**
 * The heap in use once garbage is gone: of several readings, each after a full
 * GC and a short wait (it runs the weak callbacks and finalizers of what died,
 * closed sockets' native parts among them, so the next GC frees what they
 * held), the least.
 */
export async function settledHeap(gc: () => void, readings = 5): Promise<SettledHeap> {
  let least: SettledHeap = { used: Infinity, data: Infinity };
  for (let i = 0; i < readings; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const used = process.memoryUsage().heapUsed;
    const code = getHeapCodeStatistics();
    const data = used - code.code_and_metadata_size - code.bytecode_and_metadata_size;
    least = { used: Math.min(least.used, used), data: Math.min(least.data, data) };
  }
  return least;
}
