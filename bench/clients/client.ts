/** Where one member connects: a replica's port on loopback, a room, a name, and for a recovery the id it last saw. */
export interface MemberTarget {
  port: number;
  room: string;
  name: string;
  since?: string;
}

/** The parts of a welcome the bench reads. */
export interface Welcome {
  /** How many message frames follow it before live ones (ours only; Socket.IO keeps no history). */
  backlog: number;
  recovered: boolean;
}

/** One member over a raw `ws` WebSocket, speaking one system's protocol. */
export interface BenchClient {
  /** Settles on the welcome, or rejects when the connection is refused or lost first. */
  readonly welcomed: Promise<Welcome>;
  /** Sends a chat message asking for an ack (`ref` for ours, an ack id for Socket.IO). */
  send(text: string, ref: string): void;
  close(): void;
}

export interface ClientEvents {
  /** The text of each message frame the member receives, live or backlog. */
  text(text: string): void;
  /** The connection closed (also when the bench closed it). */
  closed(code: number): void;
}

export type ConnectClient = (target: MemberTarget, events: ClientEvents) => BenchClient;

/** Every text the bench sends starts with this, so a frame's text is found without parsing the whole frame. */
export const TEXT_PREFIX = 'bench:';
const MARKER = `"text":"${TEXT_PREFIX}`;

/**
 * The text of a message frame of either system (both carry `"text":"…"` as
 * JSON), read without JSON.parse: the generator's parsing is not what is
 * measured, and it shares the two cores with the servers.
 */
export function benchText(frame: string): string | undefined {
  const at = frame.indexOf(MARKER);
  if (at < 0) return undefined;
  const start = at + 8;
  return frame.slice(start, frame.indexOf('"', start));
}
