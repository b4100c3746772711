import type { MemberInfo } from '../protocol/index.ts';
import type { MemberSocket } from '../room/index.ts';

/** What a member's socket carries through a hibernation (`serializeAttachment`). */
export interface SavedMember {
  room: string;
  info: MemberInfo;
  /** With a token: when it expires (ms since the epoch), as last refreshed; see AlarmDeadlines. */
  expiresAt?: number;
  /** The client's address (CF-Connecting-IP), for log lines after a wake. */
  address?: string;
  /** Set when the server closed it, so that a wake does not bring it back. */
  closing?: true;
}

/** Changes some of what the socket carries, keeping the rest. */
export function updateSavedMember(ws: WebSocket, change: Partial<SavedMember>): void {
  ws.serializeAttachment({ ...(ws.deserializeAttachment() as SavedMember), ...change } satisfies SavedMember);
}

export function workerMemberSocket(ws: WebSocket): MemberSocket {
  return {
    // workerd sends bytes as a binary frame, so the shared UTF-8 copy is of no use here.
    send: (frame) => ws.send(frame),
    close(code, reason) {
      updateSavedMember(ws, { closing: true });
      ws.close(code, reason);
    },
    bufferedAmount: () => ws.bufferedAmount ?? 0,
  };
}
