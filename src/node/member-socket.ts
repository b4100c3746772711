import type { WSContext } from 'hono/ws';
import type { WebSocket } from 'ws';
import type { MemberSocket } from '../room/index.ts';

/** ws sends a Buffer given with `binary: false` as a text frame, without encoding it again. */
const AS_TEXT = { binary: false } as const;

export function nodeMemberSocket(ws: WSContext<WebSocket>): MemberSocket {
  const raw = ws.raw!;
  return {
    send: (frame, utf8) => (utf8 ? raw.send(utf8, AS_TEXT) : raw.send(frame)),
    close: (code, reason) => raw.close(code, reason),
    bufferedAmount: () => raw.bufferedAmount,
  };
}
