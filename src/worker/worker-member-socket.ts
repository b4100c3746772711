import type { MemberInfo } from '../protocol/index.ts';
import type { MemberSocket } from '../room/index.ts';

/** What a member's socket carries through a hibernation (`serializeAttachment`). */
export interface SavedMember {
  room: string;
  info: MemberInfo;
  /** Set when the server closed it, so that a wake does not bring it back. */
  closing?: true;
}

export function workerMemberSocket(ws: WebSocket): MemberSocket {
  return {
    // workerd sends bytes as a binary frame, so the shared UTF-8 copy is of no use here.
    send: (frame) => ws.send(frame),
    close(code, reason) {
      ws.serializeAttachment({ ...(ws.deserializeAttachment() as SavedMember), closing: true } satisfies SavedMember);
      ws.close(code, reason);
    },
    bufferedAmount: () => ws.bufferedAmount ?? 0,
  };
}
