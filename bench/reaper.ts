/**
 * Ends the bench's process groups when the bench itself ended without doing
 * so (SIGKILL, a crash in native code): it reads `+<pgid>` and `-<pgid>`
 * lines from the bench on stdin, and when stdin closes, kills the groups
 * still listed. Started by bench/processes.ts in a group of its own.
 */
import { createInterface } from 'node:readline';

const groups = new Set<number>();
process.on('SIGINT', () => undefined);
createInterface({ input: process.stdin })
  .on('line', (line) => {
    const pgid = Number(line.slice(1));
    if (line.startsWith('+')) groups.add(pgid);
    else groups.delete(pgid);
  })
  .on('close', () => {
    for (const pgid of groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    process.exit(0);
  });
