import { ProtocolError } from '../protocol/codes.ts';
import { parseDisplayName } from '../protocol/display-name.ts';
import { codePointLength, NAME_MAX_CHARS } from '../protocol/limits.ts';

/** How far ahead of the server's clock `nbf` and `iat` may be (docs/protocol.md "Who may connect"). */
const CLOCK_SKEW_SECONDS = 30;
const SUB_MAX_CHARS = 64;

/** What a verified token says about its member. */
export interface TokenClaims {
  /** The user id: `user` on every member object. */
  readonly sub: string;
  /** The display name: the token's `name`, trimmed, else `sub`. */
  readonly name: string;
  /** Room names and `prefix*` entries; undefined grants every room. */
  readonly rooms: readonly string[] | undefined;
  /** Seconds since the epoch; the connection closes with 4001 then. */
  readonly exp: number;
}

export interface ClaimRules {
  issuer?: string;
  audience?: string;
}

const refuse = (why: string): never => {
  throw new ProtocolError('unauthorized', `token ${why}`);
};

/**
 * The claims of a token whose signature was verified, checked as docs/protocol.md
 * says; else a 401 ProtocolError. The clock is not rounded: an `exp` of
 * 100.5 has passed at 100.6 s.
 */
export function checkClaims(payload: unknown, nowMs: number, rules: ClaimRules): TokenClaims {
  const nowSeconds = nowMs / 1000;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return refuse('payload is not a JSON object');
  const p = payload as Record<string, unknown>;
  if (typeof p.sub !== 'string' || p.sub.length === 0 || codePointLength(p.sub) > SUB_MAX_CHARS) {
    return refuse(`sub must be 1–${SUB_MAX_CHARS} characters`);
  }
  if (typeof p.exp !== 'number' || !Number.isFinite(p.exp)) return refuse('has no exp');
  if (nowSeconds >= p.exp) return refuse('has expired');
  for (const claim of ['nbf', 'iat'] as const) {
    const value = p[claim];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) return refuse(`${claim} is not a number`);
    if (value > nowSeconds + CLOCK_SKEW_SECONDS) return refuse(`${claim} is in the future`);
  }
  if (rules.issuer !== undefined && p.iss !== rules.issuer) return refuse('issuer is not accepted');
  if (rules.audience !== undefined) {
    const audiences = Array.isArray(p.aud) ? p.aud : [p.aud];
    if (!audiences.includes(rules.audience)) return refuse('audience is not accepted');
  }
  return { sub: p.sub, name: nameOf(p), rooms: roomsOf(p.rooms), exp: p.exp };
}

/**
 * The token's `name`, else its `sub`, under the name rule either way. A `sub`
 * longer than a name may be (a UUID is 36) is cut to NAME_MAX_CHARS: it is
 * the member's `user` in full anyway; one with a forbidden character or only
 * white space refuses the token, as a `name` would.
 */
function nameOf(p: Record<string, unknown>): string {
  const fromSub = p.name === undefined;
  const raw = fromSub ? [...(p.sub as string).trim()].slice(0, NAME_MAX_CHARS).join('') : p.name;
  if (typeof raw !== 'string') return refuse('name must be a string');
  const what = fromSub ? 'sub, the name when there is none,' : 'name';
  let name: string | undefined;
  try {
    name = parseDisplayName(raw);
  } catch (err) {
    if (err instanceof ProtocolError) return refuse(`${what} is not valid: ${err.message}`);
    throw err;
  }
  return name ?? refuse(`${what} must be 1–${NAME_MAX_CHARS} characters after trimming`);
}

function roomsOf(rooms: unknown): readonly string[] | undefined {
  if (rooms === undefined) return undefined;
  if (!Array.isArray(rooms) || !rooms.every((r) => typeof r === 'string')) return refuse('rooms must be a list of strings');
  return rooms as string[];
}

/** Whether a `rooms` claim grants `room`: absent grants all; an entry is a name, or a prefix followed by `*`. */
export function grantsRoom(rooms: readonly string[] | undefined, room: string): boolean {
  if (rooms === undefined) return true;
  return rooms.some((entry) => (entry.endsWith('*') ? room.startsWith(entry.slice(0, -1)) : entry === room));
}
