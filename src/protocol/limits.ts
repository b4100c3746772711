/** Limits that docs/protocol.md fixes; the configurable ones are defaults only. */
export const ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const NAME_MAX_CHARS = 32;
export const TEXT_MAX_CHARS = 2000;
export const REF_MAX_CHARS = 64;
/** Messages in a welcome backlog when the client cannot be proven gap-free. */
export const RECENT_BACKLOG = 50;
/** How long a `ref` is remembered for idempotent re-sends. */
export const REF_TTL_MS = 10 * 60 * 1000;
/** Data frames of any kind per connection per second before close 1008. */
export const MAX_FRAMES_PER_SECOND = 100;

export const DEFAULT_HISTORY_SIZE = 1000;
export const DEFAULT_RATE_LIMIT = 20;
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024;
export const DEFAULT_SEND_BUFFER_LIMIT = 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const DEFAULT_PING_INTERVAL_MS = 25_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_PRESENCE_LIMIT = 1000;
/** Seven days. */
export const DEFAULT_ROOM_TTL_SECONDS = 604_800;
/** `count` frames go out at most this often in a room past PRESENCE_LIMIT. */
export const COUNT_INTERVAL_MS = 1000;

/** Length in Unicode code points, which is what the protocol calls characters. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A well-formed surrogate pair is one code point; count its high half only.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** UTF-8 byte length without encoding the string. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
