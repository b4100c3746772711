/**
 * The shape of a server frame, checked field by field before the client uses
 * it: a frame that is JSON but not what docs/protocol.md says (`{"type":"welcome"}`,
 * a message without `from`…) is ignored rather than trusted.
 */
import type * as frames from '../protocol/frames.ts';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optStr = (v: unknown) => v === undefined || isStr(v);

function isMember(v: unknown): v is frames.MemberInfo {
  return isObj(v) && isStr(v.id) && isStr(v.name) && optStr(v.user);
}

/** The frame, when its fields are what its `type` needs; 'unknown' for a type this client does not know (newer servers); null when malformed. */
export function checkFrame(v: unknown): frames.ServerFrame | 'unknown' | null {
  if (!isObj(v) || !isStr(v.type)) return null;
  switch (v.type) {
    case 'welcome':
      return isStr(v.room) &&
        isMember(v.you) &&
        isStr(v.instance) &&
        Array.isArray(v.members) &&
        v.members.every(isMember) &&
        (v.memberCount === undefined || isNum(v.memberCount)) &&
        typeof v.recovered === 'boolean' &&
        isNum(v.backlog)
        ? (v as unknown as frames.WelcomeFrame)
        : null;
    case 'message':
      return isStr(v.id) && isStr(v.room) && isMember(v.from) && isStr(v.text) && isNum(v.ts) ? (v as unknown as frames.MessageFrame) : null;
    case 'ack':
      return isStr(v.id) && isNum(v.ts) && optStr(v.ref) ? (v as unknown as frames.AckFrame) : null;
    case 'join':
    case 'leave':
      return isMember(v.member) ? (v as unknown as frames.PresenceFrame) : null;
    case 'count':
      return isNum(v.members) ? (v as unknown as frames.CountFrame) : null;
    case 'refreshed':
      return isNum(v.exp) ? (v as unknown as frames.RefreshedFrame) : null;
    case 'pong':
      return v as unknown as frames.PongFrame;
    case 'error':
      return isStr(v.code) && isStr(v.message) && optStr(v.ref) ? (v as unknown as frames.ErrorFrame) : null;
    default:
      return 'unknown';
  }
}
