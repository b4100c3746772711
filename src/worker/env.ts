import type { ChatRoom } from './chat-room.ts';

/** The Worker's bindings (wrangler.toml) and its variables, all optional, read as on Node. */
export interface Env {
  ROOMS: DurableObjectNamespace<ChatRoom>;
  HISTORY_SIZE?: string;
  RATE_LIMIT?: string;
  MAX_FRAME_BYTES?: string;
  INSTANCE_ID?: string;
  /** Seconds an empty, quiet room keeps its storage; 0: for ever. */
  ROOM_TTL?: string;
  /** Past this many members, a room sends `count` instead of each join and leave. */
  PRESENCE_LIMIT?: string;
}
