import type { Broker } from '../broker/broker.ts';
import type { Presence } from '../broker/presence.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import { RoomRegistry, type RoomMetrics, TimerDeadlines } from '../room/index.ts';
import type { Access } from '../../routes/access.ts';

/** A replica's rooms, with the limits its configuration sets; with a key, members are closed when their token expires. */
export function createRegistry(
  config: Config,
  broker: Broker,
  presence: Presence,
  log: Logger,
  access: Access,
  metrics?: RoomMetrics,
): RoomRegistry {
  const verifier = access.verifier;
  return new RoomRegistry({
    verifyToken: verifier && ((token) => verifier.verify(token)),
    deadlines: verifier && new TimerDeadlines(),
    broker,
    presence,
    log,
    metrics,
    instance: config.instanceId,
    rateLimit: config.rateLimit,
    maxFrameBytes: config.maxFrameBytes,
    sendBufferLimit: config.sendBufferLimit,
    presenceLimit: config.presenceLimit,
  });
}
