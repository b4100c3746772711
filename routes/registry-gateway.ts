import type { Context } from 'hono';
import { type ConnectRequest, ProtocolError } from '../src/protocol/index.ts';
import type { Member, MemberSocket, RoomRegistry } from '../src/room/index.ts';
import { AddressCounts, clientAddress } from './client-address.ts';
import type { MemberGateway } from './member-gateway.ts';

export interface RegistryGatewayOptions {
  registry: RoomRegistry;
  /**
   * Answers the request with the runtime's upgrade, and tells `events` what
   * the socket does from then on; the runtime adapts its socket to a MemberSocket.
   */
  upgrade: (c: Context, events: SocketEvents) => Response | Promise<Response>;
  /** 0: no cap. */
  maxConnections: number;
  /** Members one client address may hold; 0: no cap. */
  maxConnectionsPerIp: number;
  /** Count by the rightmost `X-Forwarded-For` entry, the one the proxy in front added. */
  trustProxy: boolean;
  /** The TCP peer's address, from the runtime's getConnInfo. */
  peerAddress: (c: Context) => string | undefined;
  /**
   * Where the runtime sees the connection itself (Node's socket), it calls
   * `ended` once that closes, upgraded or not: an upgrade that never opens
   * fires no WebSocket event there.
   */
  onConnectionEnd?: (c: Context, ended: () => void) => void;
}

/** What the runtime tells the gateway about one upgraded connection. */
export interface SocketEvents {
  open(socket: MemberSocket): void;
  text(data: string): void;
  binary(byteLength: number): void;
  /** The socket closed, with the close code when the runtime tells it (1005: none given, 1006: no close frame). */
  close(code?: number): void;
  /**
   * Deno reports an upgrade that failed before opening with an error and no
   * close. `refused`: the runtime is closing an open socket for a frame that
   * breaks the WebSocket protocol or its limits (ws: over maxPayload, bad UTF-8).
   */
  error(refused?: { code: number; reason: string }): void;
}

export interface RegistryGateway extends MemberGateway {
  /** Client addresses holding a member now; 0 once every member is gone. */
  readonly addressCount: number;
}

const NOTHING_HELD = () => undefined;

/**
 * An upgrade answered but not open this long after will never open: Deno fires
 * no event at all for a handshake the client reset right after sending it, so
 * without this its address would keep the slot for ever.
 */
const OPEN_DEADLINE_MS = 5000;

/**
 * One upgraded connection's way into the registry. One object, its methods
 * shared, rather than a closure per event: a replica holds one per member.
 */
class Connection implements SocketEvents {
  private member: Member | undefined = undefined;
  private request: ConnectRequest | undefined;
  private address: string | undefined;

  constructor(
    private readonly registry: RoomRegistry,
    request: ConnectRequest,
    address: string,
    private readonly release: () => void,
    private neverOpened: ReturnType<typeof setTimeout> | undefined,
  ) {
    this.request = request;
    this.address = address;
  }

  open(socket: MemberSocket): void {
    clearTimeout(this.neverOpened);
    this.neverOpened = undefined;
    const request = this.request!;
    const address = this.address;
    this.request = undefined;
    this.address = undefined;
    this.member = this.registry.connect(request, socket, address);
  }

  text(data: string): void {
    this.member?.receive(data);
  }

  binary(byteLength: number): void {
    this.member?.receiveBinary(byteLength);
  }

  close(code?: number): void {
    this.member?.socketClosed(code);
    this.release();
  }

  error(refused?: { code: number; reason: string }): void {
    if (!this.member) return this.release();
    if (refused) this.member.refusedByRuntime(refused.code, refused.reason);
  }

  /** The runtime refused the upgrade itself: nothing will open. */
  refused(): void {
    clearTimeout(this.neverOpened);
    this.release();
  }
}

/** Members upgraded in this process, into its RoomRegistry: the replica runtimes' gateway. */
export function registryGateway(options: RegistryGatewayOptions): RegistryGateway {
  const { registry, upgrade, maxConnections, maxConnectionsPerIp, trustProxy, peerAddress } = options;
  const perAddress = new AddressCounts();

  /** The address this request counts under, and its log lines name. */
  function addressOf(c: Context): string {
    return clientAddress(peerAddress(c), c.req.header('x-forwarded-for'), trustProxy);
  }

  /** Counted from here until the connection ends, members refused after the upgrade included. */
  function hold(c: Context, address: string | undefined): () => void {
    if (address === undefined) return NOTHING_HELD;
    const release = perAddress.take(address);
    options.onConnectionEnd?.(c, release);
    return release;
  }

  return {
    isReady: () => registry.isReady(),
    clientAddress: addressOf,
    get addressCount() {
      return perAddress.size;
    },
    async connect(c: Context, request: ConnectRequest) {
      const address = addressOf(c);
      const capped = maxConnectionsPerIp > 0 ? address : undefined;
      if (capped !== undefined && perAddress.count(capped) >= maxConnectionsPerIp) {
        throw new ProtocolError('rate_limited', 'this address already holds its cap of connections');
      }
      if (maxConnections > 0 && registry.connections >= maxConnections) {
        throw new ProtocolError('overloaded', 'this instance is at its connection limit; try another');
      }
      if (!registry.isReady()) throw new ProtocolError('unavailable', 'the message broker is unreachable');
      const release = hold(c, capped);
      const neverOpened = capped === undefined ? undefined : setTimeout(release, OPEN_DEADLINE_MS);
      const connection = new Connection(registry, request, address, release, neverOpened);
      try {
        return await upgrade(c, connection);
      } catch (err) {
        connection.refused();
        throw err;
      }
    },
  };
}
