import type { Context } from 'hono';
import type { SocketEvents } from '../../routes/registry-gateway.ts';
import { DenoMemberSocket } from './member-socket.ts';

/** A socket carries its member, so that one handler of each kind serves every socket. */
const MEMBER = Symbol('member socket');
type MemberWebSocket = WebSocket & { [MEMBER]: DenoMemberSocket };

/**
 * Members' WebSockets on Deno, upgraded with Deno.upgradeWebSocket itself
 * rather than hono/deno's helper, which keeps a WSContext and a closure per
 * event for each socket, and compares the `Upgrade` header to "websocket"
 * exactly where RFC 6455 ignores letter case (the route has checked it):
 * https://github.com/honojs/hono/blob/main/src/adapter/deno/websocket.ts
 * The open sockets are counted, so that a shutdown can wait for its 1012
 * closes to be answered (stopping the server first would close them with 1001 instead).
 */
export function denoWebSockets(options: Deno.UpgradeWebSocketOptions) {
  const open = new Set<WebSocket>();

  function onOpen(this: WebSocket): void {
    // An error once open is followed by a close, and opening is once: neither listener is needed any more.
    this.removeEventListener('open', onOpen);
    this.removeEventListener('error', onError);
    open.add(this);
    const member = memberOf(this);
    member.events.open(member);
  }
  function onMessage(this: WebSocket, event: MessageEvent): void {
    const member = memberOf(this);
    member.heard = Date.now();
    const data: unknown = event.data;
    if (typeof data === 'string') member.events.text(data);
    else member.events.binary(data instanceof Blob ? data.size : (data as ArrayBuffer).byteLength);
  }
  function onClose(this: WebSocket, event: CloseEvent): void {
    open.delete(this);
    memberOf(this).events.close(event.code);
  }
  function onError(this: WebSocket): void {
    memberOf(this).events.error();
  }

  return {
    upgrade(c: Context, events: SocketEvents): Response {
      const subprotocol = c.req.header('sec-websocket-protocol')?.split(',')[0]?.trim();
      const { response, socket } = Deno.upgradeWebSocket(c.req.raw, subprotocol ? { ...options, protocol: subprotocol } : options);
      (socket as MemberWebSocket)[MEMBER] = new DenoMemberSocket(socket, events);
      // Listeners, not `on…` handlers: Deno wraps each handler set in a closure of its own.
      socket.addEventListener('open', onOpen);
      socket.addEventListener('message', onMessage);
      socket.addEventListener('close', onClose);
      socket.addEventListener('error', onError);
      return response;
    },
    get openSockets(): number {
      return open.size;
    },
  };
}

function memberOf(socket: WebSocket): DenoMemberSocket {
  return (socket as MemberWebSocket)[MEMBER];
}
