import { WSContext, defineWebSocketHelper } from 'hono/ws';

/**
 * hono/deno's upgradeWebSocket, with the `Upgrade` header compared without
 * letter case as RFC 6455 asks: hono/deno compares it to "websocket" exactly,
 * so `Upgrade: WebSocket` passed the route's checks and then failed with 500.
 * https://github.com/honojs/hono/blob/main/src/adapter/deno/websocket.ts
 */
export const upgradeWebSocket = defineWebSocketHelper<WebSocket, Deno.UpgradeWebSocketOptions>(async (c, events, options) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return;
  const subprotocol = c.req.header('sec-websocket-protocol')?.split(',')[0]?.trim();
  const { response, socket } = Deno.upgradeWebSocket(c.req.raw, { ...(subprotocol ? { protocol: subprotocol } : {}), ...options });
  const ws = new WSContext<WebSocket>({
    close: (code, reason) => socket.close(code, reason),
    get protocol() {
      return socket.protocol;
    },
    raw: socket,
    get readyState() {
      return socket.readyState as 0 | 1 | 2 | 3;
    },
    url: socket.url ? new URL(socket.url) : null,
    send: (source) => socket.send(source),
  });
  socket.onopen = (event) => events.onOpen?.(event, ws);
  socket.onmessage = (event) => events.onMessage?.(event, ws);
  socket.onclose = (event) => events.onClose?.(event, ws);
  socket.onerror = (event) => events.onError?.(event, ws);
  return response;
});
