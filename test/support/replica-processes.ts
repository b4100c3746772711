import { ServiceProcess, freePort } from './service-process.ts';
import { eventually } from './eventually.ts';

export interface ReplicaProcess {
  name: string;
  port: number;
  service: ServiceProcess;
  wsUrl(room: string, query?: Record<string, string>): string;
  httpUrl(path: string): string;
}

/** `npm start` as a real process on a free port, with the given environment; resolves once it listens. */
export async function startReplicaProcess(name: string, env: Record<string, string>, port?: number): Promise<ReplicaProcess> {
  const chosen = port ?? (await freePort());
  const service = ServiceProcess.start(name, 'src/node/main.ts', { PORT: String(chosen), HOST: '127.0.0.1', INSTANCE_ID: name, ...env });
  await service.waitFor(/listening on/);
  return {
    name,
    port: chosen,
    service,
    wsUrl: (room, query = {}) => {
      const qs = new URLSearchParams(query).toString();
      return `ws://127.0.0.1:${chosen}/ws/${room}${qs ? `?${qs}` : ''}`;
    },
    httpUrl: (path) => `http://127.0.0.1:${chosen}${path}`,
  };
}

/** Waits until /readyz answers `status` (200 ready, 503 not). */
export async function waitReady(replica: ReplicaProcess, status = 200, timeoutMs = 10_000): Promise<void> {
  await eventually(async () => {
    const res = await fetch(replica.httpUrl('/readyz'));
    if (res.status !== status) throw new Error(`${replica.name} /readyz is ${res.status}, waiting for ${status}`);
  }, timeoutMs);
}
