import { Hono } from 'hono';
import { getConnInfo, serveStatic } from 'hono/deno';
import { mountApp } from '../../routes/app.ts';
import { registryGateway } from '../../routes/registry-gateway.ts';
import { brokerRoomService } from '../../routes/room-service.ts';
import { brokerName, createBroker } from '../server/create-broker.ts';
import { createRegistry } from '../server/create-registry.ts';
import { awaitSocketsClosed, displayUrl } from '../server/closing.ts';
import { exitOnSignals } from '../server/exit-on-signals.ts';
import { createLogger } from '../server/logger.ts';
import { listenRefusal, readConfig } from '../server/read-config.ts';
import { accessSummary, readAccess } from '../server/read-access.ts';
import { denoHost } from './host.ts';
import { denoWebSockets } from './upgrade-websocket.ts';

const STATIC_ROOT = new URL('../../static', import.meta.url).pathname;

const config = readConfig(denoHost);
const access = await readAccess(config, denoHost);
const log = createLogger(config);
const { broker, presence } = createBroker(config, log);
const registry = createRegistry(config, broker, presence, log, access);
/**
 * Deno's server WebSocket has no ping of its own to call: Deno pings a socket
 * that has been silent for half of `idleTimeout` (seconds) and closes it (1001)
 * when the other half passes with no frame or pong. So a silent member is
 * dropped after IDLE_TIMEOUT_MS, as on Node, but PING_INTERVAL_MS does not
 * apply here: the ping comes at half the idle timeout, and only to a quiet socket.
 */
const sockets = denoWebSockets({ idleTimeout: Math.max(1, Math.round(config.idleTimeoutMs / 1000)) });
const app = mountApp(new Hono(), {
  access: () => access,
  rooms: brokerRoomService(broker, presence),
  apiKey: () => config.apiKey,
  gateway: registryGateway({
    registry,
    upgrade: sockets.upgrade,
    maxConnections: config.maxConnections,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    trustProxy: config.trustProxy,
    peerAddress: (c) => getConnInfo(c).remote.address,
  }),
  log,
  serveStatic: serveStatic({ root: STATIC_ROOT }),
});

let server: Deno.HttpServer;
try {
  server = Deno.serve({ port: config.port, hostname: config.host, onListen: () => undefined }, app.fetch);
} catch (err) {
  if (err instanceof Deno.errors.AddrInUse) denoHost.printError(listenRefusal(config.host, config.port, 'is in use'));
  else if (err instanceof Deno.errors.PermissionDenied) denoHost.printError(listenRefusal(config.host, config.port, 'is not allowed'));
  else if (err instanceof Deno.errors.AddrNotAvailable) denoHost.printError(listenRefusal(config.host, config.port, 'is not available'));
  else throw err;
  denoHost.exit(2);
}
const url = displayUrl(config.host, (server.addr as Deno.NetAddr).port);
log.info({ url, broker: brokerName(config), runtime: `deno ${Deno.version.deno}`, ...accessSummary(access) }, `listening on ${url}`);

exitOnSignals(
  denoHost,
  async () => {
    // The server stops taking requests only after the grace (its shutdown would
    // close the members with 1001); a member that comes meanwhile gets 1012 too.
    registry.shutdown();
    await awaitSocketsClosed(() => sockets.openSockets);
    await server.shutdown();
    await broker.close();
  },
  log,
);
