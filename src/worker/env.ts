import type { ChatRoom } from './chat-room.ts';

/** The Worker's bindings (wrangler.toml) and its variables, all optional, read as on Node. */
export interface Env {
  ROOMS: DurableObjectNamespace<ChatRoom>;
  HISTORY_SIZE?: string;
  RATE_LIMIT?: string;
  MAX_FRAME_BYTES?: string;
  INSTANCE_ID?: string;
}
