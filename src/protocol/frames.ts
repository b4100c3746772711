import type { ErrorCode } from './codes.ts';

export interface MemberInfo {
  readonly id: string;
  readonly name: string;
  /** The token's `sub`, when the server runs with a key. */
  readonly user?: string;
}

/** A message as the broker stores and delivers it; `from` is set by the server, never the client. */
export interface ChatMessage {
  readonly id: string;
  readonly room: string;
  readonly from: MemberInfo;
  readonly text: string;
  readonly ts: number;
}

export interface WelcomeFrame {
  type: 'welcome';
  room: string;
  you: MemberInfo;
  instance: string;
  /** At most PRESENCE_LIMIT of them. */
  members: MemberInfo[];
  /** Everyone in the room on every instance, listed or not. */
  memberCount: number;
  recovered: boolean;
  backlog: number;
}
export interface MessageFrame extends ChatMessage {
  type: 'message';
}
export interface AckFrame {
  type: 'ack';
  ref?: string;
  id: string;
  ts: number;
}
export interface PresenceFrame {
  type: 'join' | 'leave';
  member: MemberInfo;
}
/** Instead of `join`/`leave` while a room has more members than PRESENCE_LIMIT. */
export interface CountFrame {
  type: 'count';
  members: number;
}
export interface RefreshedFrame {
  type: 'refreshed';
  exp: number;
}
export interface PongFrame {
  type: 'pong';
}
export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  ref?: string;
}

export type ServerFrame = WelcomeFrame | MessageFrame | AckFrame | PresenceFrame | CountFrame | RefreshedFrame | PongFrame | ErrorFrame;

/**
 * The one serialization of a message for the wire. Field order is fixed here so
 * that every replica writes the same bytes for the same message.
 */
export function encodeMessage(m: ChatMessage): string {
  return JSON.stringify({ type: 'message', id: m.id, room: m.room, from: m.from, text: m.text, ts: m.ts } satisfies MessageFrame);
}

export function encodeAck(id: string, ts: number, ref: string | undefined): string {
  return JSON.stringify((ref === undefined ? { type: 'ack', id, ts } : { type: 'ack', ref, id, ts }) satisfies AckFrame);
}

export function encodePresence(type: 'join' | 'leave', member: MemberInfo): string {
  return JSON.stringify({ type, member: publicMember(member) } satisfies PresenceFrame);
}

/** A member object as every frame writes it: `user` only when there is one. */
export function publicMember(member: MemberInfo): MemberInfo {
  return member.user === undefined ? { id: member.id, name: member.name } : { id: member.id, name: member.name, user: member.user };
}

/** The answer to a `refresh` whose token was accepted: its `exp`, in seconds. */
export function encodeRefreshed(exp: number): string {
  return JSON.stringify({ type: 'refreshed', exp } satisfies RefreshedFrame);
}

export function encodeError(code: ErrorCode, message: string, ref?: string): string {
  return JSON.stringify((ref === undefined ? { type: 'error', code, message } : { type: 'error', code, message, ref }) satisfies ErrorFrame);
}

export function encodeCount(members: number): string {
  return JSON.stringify({ type: 'count', members } satisfies CountFrame);
}

export const PONG = JSON.stringify({ type: 'pong' } satisfies PongFrame);

/**
 * The welcome, with its `members` array already serialized (`listedJson`): a
 * big room's newcomers share one serialization of the same first members.
 */
export function encodeWelcome(w: Omit<WelcomeFrame, 'type' | 'members'>, listedJson: string): string {
  const head = JSON.stringify({ type: 'welcome', room: w.room, you: w.you, instance: w.instance } satisfies Partial<WelcomeFrame>);
  const tail = JSON.stringify({ memberCount: w.memberCount, recovered: w.recovered, backlog: w.backlog } satisfies Partial<WelcomeFrame>);
  return `${head.slice(0, -1)},"members":${listedJson},${tail.slice(1)}`;
}
