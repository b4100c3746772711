/**
 * Every Redis key and channel name, built here alone. The room is a hash tag
 * (`{room}`), so one room's keys share a Redis Cluster slot; room names cannot
 * contain braces (PROTOCOL.md's pattern), so the tag is always the whole name.
 */
export function roomKeys(room: string) {
  const tag = `chat:{${room}}`;
  return {
    /** Stream: the room's log, bounded at about HISTORY_SIZE. */
    log: `${tag}:log`,
    /** Hash: member id → JSON {id, name, instance}, for everyone in the room on every replica. */
    members: `${tag}:members`,
    /** Pub/sub channel: the room's messages and presence, in one order. */
    channel: tag,
    /** String: the id a `ref` was first published with; expires after REF_TTL_MS. */
    ref: (ref: string) => `${tag}:ref:${ref}`,
  };
}

/** String with a TTL: present while the replica `instance` is alive. */
export function livenessKey(instance: string): string {
  return `chat:instance:${instance}`;
}

/** The room a channel from roomKeys() belongs to. */
export function roomOfChannel(channel: string): string {
  return channel.slice('chat:{'.length, -1);
}
