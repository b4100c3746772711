import type { Broker } from '../broker/broker.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import { RoomRegistry, type RoomMetrics } from '../room/index.ts';

/** A replica's rooms, with the limits its configuration sets. */
export function createRegistry(config: Config, broker: Broker, log: Logger, metrics?: RoomMetrics): RoomRegistry {
  return new RoomRegistry({
    broker,
    log,
    metrics,
    instance: config.instanceId,
    rateLimit: config.rateLimit,
    maxFrameBytes: config.maxFrameBytes,
    sendBufferLimit: config.sendBufferLimit,
    presenceLimit: config.presenceLimit,
  });
}
