import type { ReplicaProcess } from './replica-processes.ts';
import { ServiceProcess, freePort } from './service-process.ts';

/**
 * A replica process as startReplicaProcess starts it, waiting up to
 * `readyMs` for it to listen: the log tests start several on a shared
 * two-core machine, where a start has taken 14 s.
 */
export async function startLoggingReplica(name: string, env: Record<string, string>, readyMs = 60_000): Promise<ReplicaProcess> {
  const port = await freePort();
  const service = ServiceProcess.start(name, 'src/node/main.ts', { PORT: String(port), HOST: '127.0.0.1', INSTANCE_ID: name, ...env });
  try {
    await service.waitFor(/listening on/, readyMs);
  } catch (err) {
    await service.stop();
    throw err;
  }
  return {
    name,
    port,
    service,
    wsUrl: (room, query = {}) => {
      const qs = new URLSearchParams(query).toString();
      return `ws://127.0.0.1:${port}/ws/${room}${qs ? `?${qs}` : ''}`;
    },
    httpUrl: (path) => `http://127.0.0.1:${port}${path}`,
  };
}
