import type { Broker } from '../broker/broker.ts';
import type { Logger } from './member-socket.ts';

export interface RoomOptions {
  broker: Broker;
  /** Named in `welcome.instance`. */
  instance: string;
  /** Messages a second per connection, bursts of twice that; 0 turns the limit off. */
  rateLimit: number;
  maxFrameBytes: number;
  /** A member whose unsent bytes pass this is closed with 1013. */
  sendBufferLimit: number;
  log: Logger;
  now?: () => number;
}
