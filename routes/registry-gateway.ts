import type { Context } from 'hono';
import type { UpgradeWebSocket, WSContext } from 'hono/ws';
import { type ConnectRequest, ProtocolError } from '../src/protocol/index.ts';
import type { Member, MemberSocket, RoomRegistry } from '../src/room/index.ts';
import type { MemberGateway } from './member-gateway.ts';

export interface RegistryGatewayOptions {
  registry: RoomRegistry;
  /** The runtime's Hono WebSocket helper (@hono/node-ws on Node, hono/deno on Deno). */
  upgradeWebSocket: UpgradeWebSocket<any>;
  /** Adapts the runtime's socket; the runtime knows how to read its send buffer. */
  memberSocket: (ws: WSContext<any>) => MemberSocket;
  /** 0: no cap. */
  maxConnections: number;
}

/** Members upgraded in this process, into its RoomRegistry: the replica runtimes' gateway. */
export function registryGateway(options: RegistryGatewayOptions): MemberGateway {
  const { registry, upgradeWebSocket, memberSocket, maxConnections } = options;
  return {
    isReady: () => registry.isReady(),
    connect(c: Context, request: ConnectRequest) {
      if (maxConnections > 0 && registry.connections >= maxConnections) {
        throw new ProtocolError('overloaded', 'this instance is at its connection limit; try another');
      }
      let member: Member | undefined;
      return upgradeWebSocket(c, {
        onOpen(_event, ws) {
          member = registry.connect(request, memberSocket(ws));
        },
        onMessage(event) {
          const data = event.data;
          if (typeof data === 'string') member?.receive(data);
          else member?.receiveBinary(data instanceof Blob ? data.size : data.byteLength);
        },
        onClose() {
          member?.socketClosed();
        },
      }) as Response | Promise<Response>;
    },
  };
}
