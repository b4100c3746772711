import { type ChatMessage, type MemberInfo, publicMember } from '../protocol/index.ts';
import type { RoomEvent } from './broker.ts';

/** What the members hash holds per member: who, and which replica incarnation recorded it. */
export interface StoredMember extends MemberInfo {
  readonly instance: string;
  /** The recording RedisBroker's boot id; absent in records of replicas older than boot ids. */
  readonly boot?: string;
}

export type StreamEntry = [id: string, fields: string[]];

/** The stream entry's and the channel's body of a message. */
export function encodeMessageBody(from: MemberInfo, text: string): string {
  return JSON.stringify({ from: publicMember(from), text });
}

/** A member as others see it, in `join`/`leave` payloads. */
export function publicJson(member: MemberInfo): string {
  return JSON.stringify(publicMember(member));
}

export function storedJson(member: MemberInfo, instance: string, boot: string): string {
  return JSON.stringify({ ...publicMember(member), instance, boot } satisfies StoredMember);
}

/** A room channel's payload (see redis-scripts.ts), or null when it is not one. */
export function decodeEvent(room: string, payload: string): RoomEvent | null {
  try {
    if (payload.startsWith('m ')) {
      const space = payload.indexOf(' ', 2);
      return { type: 'message', message: decodeMessage(room, payload.slice(2, space), payload.slice(space + 1)) };
    }
    const space = payload.indexOf(' ', 2);
    const count = Number(payload.slice(2, space));
    const member = JSON.parse(payload.slice(space + 1)) as MemberInfo;
    if (!Number.isSafeInteger(count)) return null;
    if (payload.startsWith('j ')) return { type: 'join', member, count };
    if (payload.startsWith('r ')) return { type: 'join', member, count, quiet: true };
    if (payload.startsWith('l ')) return { type: 'leave', member, count };
  } catch {
    // Not JSON where JSON belongs: the caller logs it as malformed.
    return null;
  }
  return null;
}

export function decodeEntry(room: string, [id, fields]: StreamEntry): ChatMessage {
  return decodeMessage(room, id, fields[1] ?? '{}');
}

/** A message from its id and its body as encodeMessageBody wrote it. */
function decodeMessage(room: string, id: string, body: string): ChatMessage {
  const { from, text } = JSON.parse(body) as { from: MemberInfo; text: string };
  return { id, room, from, text, ts: idTime(id) };
}

/** A stream id's first half is Redis's clock in ms when it was added. */
export function idTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}
