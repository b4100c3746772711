import type { Context } from 'hono';
import type { ConnectRequest } from '../src/protocol/index.ts';

/**
 * Where a checked `/ws/:room` request goes: a Node or Deno replica upgrades it
 * into its own RoomRegistry, the Worker forwards it to the room's Durable Object.
 */
export interface MemberGateway {
  /** False answers 503 `unavailable`, at `/readyz` and to new members. */
  isReady(): boolean;
  /**
   * Answers a request that passed the shared checks: the upgrade, or a thrown
   * ProtocolError, in docs/protocol.md's order: a replica refuses an address at its
   * cap (429 `rate_limited`), then its own connection limit (503 `overloaded`),
   * then a broker it cannot reach (503 `unavailable`).
   */
  connect(c: Context, request: ConnectRequest): Response | Promise<Response>;
  /**
   * The client's address as the per-address cap counts it (behind a trusted
   * proxy, the one it forwarded), for log lines; absent where the runtime
   * cannot tell.
   */
  clientAddress?(c: Context): string;
}
