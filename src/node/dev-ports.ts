import { createServer } from 'node:net';
import { freePort } from '../../bench/free-port.ts';

/** Why the replicas' ports cannot be used; its message is the launcher's one line. */
export class DevPortError extends Error {}

/**
 * The ports of replicas node-1…node-N: PORT, PORT+1, …; with PORT=0, 0 for each,
 * so each replica takes a free port of its own when it listens.
 */
export function replicaPorts(base: number, count: number): number[] {
  if (base === 0) return Array.from({ length: count }, () => 0);
  if (base + count - 1 > 65535) {
    throw new DevPortError(`PORT=${base} leaves no room for ${count} replicas on PORT to PORT+${count - 1}: set PORT to at most ${65536 - count}, or PORT=0 to pick free ports`);
  }
  return Array.from({ length: count }, (_, i) => base + i);
}

/**
 * Fails, naming the first port in use and a PORT that would do, before
 * anything is started: a replica that could not listen would otherwise only
 * be found once the others run.
 */
export async function checkPortsFree(host: string, ports: readonly number[]): Promise<void> {
  for (const [i, port] of ports.entries()) {
    if (port === 0) continue;
    const code = await listenError(host, port);
    if (code === null) continue;
    const why = code === 'EADDRINUSE' ? 'is in use' : code === 'EACCES' ? 'is not allowed' : `cannot be listened on (${code})`;
    const suggestion = await freeRun(host, ports.length);
    const set = suggestion === null ? 'set PORT to another' : `set PORT=${suggestion} (free now)`;
    throw new DevPortError(`port ${port} on ${host} ${why}: ${set}, or PORT=0 to pick free ports${layout(ports.length)}`);
  }
}

function layout(count: number): string {
  if (count === 1) return '';
  if (count === 2) return ' (node-1 uses PORT, node-2 PORT+1)';
  return ` (node-1 uses PORT, node-2 PORT+1, … node-${count} PORT+${count - 1})`;
}

/** A PORT whose run of `count` ports is free now, or null after a few tries. */
async function freeRun(host: string, count: number): Promise<number | null> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const start = await freePort();
    if (start + count - 1 > 65535) continue;
    const taken = await Promise.all(Array.from({ length: count }, (_, i) => listenError(host, start + i)));
    if (taken.every((code) => code === null)) return start;
  }
  return null;
}

function listenError(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(null)));
  });
}
