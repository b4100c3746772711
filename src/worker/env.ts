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
  /** HS256 key (at least 32 bytes); set it as a secret (`wrangler secret put`), never in wrangler.toml. */
  AUTH_SECRET?: string;
  /** A PEM public key (SPKI) for RS256, ES256 or EdDSA tokens; instead of AUTH_SECRET. */
  AUTH_PUBLIC_KEY?: string;
  /** When set, a token's `iss` / `aud` must match. */
  AUTH_ISSUER?: string;
  AUTH_AUDIENCE?: string;
  /** Turns the HTTP API on (`/api/…`, with `Authorization: Bearer <API_KEY>`); set it as a secret, never in wrangler.toml. */
  API_KEY?: string;
  /** debug, info (the default), warn, error or silent: as on Node, for the Worker's and the room objects' lines. */
  LOG_LEVEL?: string;
  /** Comma-separated origins that may open a socket; unset: any. */
  ALLOWED_ORIGINS?: string;
}
