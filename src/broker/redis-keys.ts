/**
 * Every Redis key and channel name, built here alone. The room is a hash tag
 * (`{room}`), so one room's keys share a Redis Cluster slot; room names cannot
 * contain braces (docs/protocol.md's pattern), so the tag is always the whole name.
 */
export function roomKeys(room: string) {
  const tag = `chat:{${room}}`;
  const log = `${tag}:log`;
  const members = `${tag}:members`;
  const refs = `${tag}:refs`;
  const refExpiries = `${tag}:ref-expiries`;
  const swept = `${tag}:swept`;
  return {
    /** Stream: the room's log, bounded at about HISTORY_SIZE. */
    log,
    /** Hash: member id → JSON {id, name, instance, boot}, for everyone in the room on every replica. */
    members,
    /** Hash: ref → the id it was first published with. */
    refs,
    /** Sorted set: ref → when it stops counting (ms); the publish script prunes `refs` by it. */
    refExpiries,
    /**
     * Sorted set: member id → when (ms) a survivor swept it as gone with its
     * replica's incarnation. A member recorded again while it is here was cut
     * off, not gone: its `join` is announced again. Pruned after an hour.
     */
    swept,
    /** Pub/sub channel: the room's messages and presence, in one order. */
    channel: tag,
    /**
     * Every key the room has, so that they all expire together after ROOM_TTL.
     * A ref gets no key of its own: a 10-minute key would outlive a shorter room.
     */
    all: [log, members, refs, refExpiries, swept] as const,
  };
}

/**
 * String with a TTL: present while this incarnation of replica `instance` is
 * alive. A restarted replica keeps its name but not its boot id, so its
 * predecessor's members are judged by a key nobody refreshes any more.
 */
export function livenessKey(instance: string, boot: string): string {
  return `chat:instance:${instance}:${boot}`;
}

/** The room a channel from roomKeys() belongs to. */
export function roomOfChannel(channel: string): string {
  return channel.slice('chat:{'.length, -1);
}
