/** A server under test, listening on a real loopback port. */
export interface ServerUnderTest {
  readonly port: number;
  close(): Promise<void>;
}

/** Rows a runtime's platform answers before our code can, listed with `knownDifferences`. */
export type PlatformRow = 'malformed-handshake' | 'invalid-utf8' | 'server-close-of-a-silent-client';

/**
 * How the conformance suite starts one runtime with its defaults (rate limit
 * 20 a second, frames of 16 KiB). The optional parts are rows of docs/protocol.md
 * that only some runtimes can meet; each says why where it is left out.
 */
export interface ConformanceDriver {
  readonly runtime: string;
  /**
   * Rows where the platform under our code breaks docs/protocol.md, with why. They
   * still run, as tests expected to fail: one that starts passing fails the
   * suite, so the entry is removed once the platform is fixed.
   */
  readonly knownDifferences?: Partial<Record<PlatformRow, string>>;
  start(): Promise<ServerUnderTest>;
  /**
   * Starts another server of this runtime, apart from the one `start` gave,
   * with these variables set as in its environment (`PRESENCE_LIMIT: '50'`).
   * Each start costs seconds on some runtimes: the suite calls it rarely.
   */
  startWith(env: Record<string, string>): Promise<ServerUnderTest>;
  /**
   * True where MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP bound a server (Node
   * and Deno); at the edge there is no replica to fill, the platform bounds
   * connections, so the rows on those caps are left out there.
   */
  readonly connectionCaps?: boolean;
  /** Makes the broker unreachable until the returned function is called. */
  breakBroker?(): () => void;
  /** Closes members as an instance shutting down does (SIGTERM). */
  shutdown?(): Promise<void>;
  /** Publishes `count` large messages to a room as fast as the server takes them, past any send buffer. */
  flood?(room: string, count: number, text: string): Promise<void>;
}
