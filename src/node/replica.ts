import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Config } from '../config/config.ts';
import type { Broker } from '../broker/broker.ts';
import type { Presence } from '../broker/presence.ts';
import type { RoomRegistry } from '../room/index.ts';
import type { Logger } from '../logger.ts';
import { createRegistry } from '../server/create-registry.ts';
import { awaitSocketsClosed, displayUrl } from '../server/closing.ts';
import { mountApp } from '../../routes/app.ts';
import { type Access, createAccess } from '../../routes/access.ts';
import { registryGateway } from '../../routes/registry-gateway.ts';
import { brokerRoomService } from '../../routes/room-service.ts';
import { createNodeWebSockets } from './websocket-server.ts';
import { logClientErrors } from './client-errors.ts';
import { createMetrics } from './metrics.ts';
import { pipeliningLimit } from './pipelining-limit.ts';

const STATIC_ROOT = fileURLToPath(new URL('../../static', import.meta.url));

export interface Replica {
  readonly url: string;
  readonly port: number;
  readonly registry: RoomRegistry;
  /** Client addresses holding a member here (counted only under MAX_CONNECTIONS_PER_IP). */
  readonly addressCount: number;
  /** Closes members with 1012, stops listening, closes the broker. */
  close(): Promise<void>;
}

export interface ReplicaOptions {
  config: Config;
  broker: Broker;
  /** Ends with `broker.close()`: memory and Redis are each their own presence (see createBroker). */
  presence: Presence;
  log: Logger;
  /** Made from `config` when not given (rejects with AuthKeyError for a key that cannot be read). */
  access?: Access;
}

/** One Node replica: the shared app on @hono/node-server, listening once this resolves. */
export async function startReplica({ config, broker, presence, log, access: given }: ReplicaOptions): Promise<Replica> {
  const access = given ?? (await createAccess(config));
  const metrics = createMetrics({ token: config.metricsToken });
  const registry = createRegistry(config, broker, presence, log, access, metrics.roomMetrics);
  metrics.watch(registry, broker);
  const app = new Hono();
  app.use(pipeliningLimit(log));
  const sockets = createNodeWebSockets(app, config, log);
  const gateway = registryGateway({
    registry,
    upgrade: sockets.upgrade,
    maxConnections: config.maxConnections,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    trustProxy: config.trustProxy,
    peerAddress: (c) => getConnInfo(c).remote.address,
    onConnectionEnd: sockets.onConnectionEnd,
  });
  mountApp(app, {
    gateway,
    access: () => access,
    rooms: brokerRoomService(broker, presence),
    apiKey: () => config.apiKey,
    log,
    serveStatic: serveStatic({ root: STATIC_ROOT }),
    extend: metrics.mount,
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s as Server));
    s.once('error', reject);
    logClientErrors(s as Server, log);
  });
  sockets.attach(server);
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | null = null;
  async function close(): Promise<void> {
    registry.shutdown();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await awaitSocketsClosed(() => sockets.openSockets);
    sockets.terminateAll();
    server.closeAllConnections();
    await stopped;
    await broker.close();
  }

  return {
    url: displayUrl(config.host, port),
    port,
    registry,
    get addressCount() {
      return gateway.addressCount;
    },
    close: () => (closing ??= close()),
  };
}
