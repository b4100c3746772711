import type { Context } from 'hono';
import type { Page, PageRequest, PublishRequest } from '../src/broker/broker.ts';
import { type ChatMessage, ProtocolError, parseClientFrame, parseConnectRequest, parseDisplayName, parseMessageId, publicMember } from '../src/protocol/index.ts';

/** The HTTP API's input, checked as docs/protocol.md "HTTP API (v1.1)" says: anything else is 400 `bad_request`. */

const DEFAULT_PAGE_LIMIT = 50;
const MAX_PAGE_LIMIT = 200;
/** Far above the largest body a good request can have (a text of 2,000 astral characters, escaped, is under 24 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;
/** The `from` of a message the API published. */
const SERVER_MEMBER_ID = 'server';

const badRequest = (message: string) => new ProtocolError('bad_request', message);

/** The `:room` path segment (percent-decoded by Hono), checked as for `/ws/:room`. */
export function roomParam(c: Context): string {
  return parseConnectRequest(c.req.param('room') ?? '', undefined, undefined).room;
}

/** `?limit=N&before=ID` or `?after=ID&limit=N`: one bound at most, ids well-formed, limit 1–200 (default 50). */
export function pageQuery(c: Context): PageRequest {
  // A parameter given twice is ambiguous (which limit, which bound?): refused, never one picked silently.
  for (const name of ['before', 'after', 'limit']) {
    if ((c.req.queries(name)?.length ?? 0) > 1) throw badRequest(`${name} is given more than once`);
  }
  const before = c.req.query('before');
  const after = c.req.query('after');
  if (before !== undefined && after !== undefined) throw badRequest('before and after cannot be given together');
  for (const [field, id] of [['before', before], ['after', after]] as const) {
    if (id !== undefined && parseMessageId(id) === null) throw badRequest(`${field} must be a message id such as 1763800000000-3`);
  }
  const raw = c.req.query('limit');
  // Written as ids are: decimal without leading zeros.
  const limit = raw === undefined ? DEFAULT_PAGE_LIMIT : /^[1-9][0-9]*$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_LIMIT)) throw badRequest(`limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}`);
  return { limit, ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) };
}

/**
 * A POST's `{"text","name","ref"}`: `text` and `ref` by the client frame's
 * rules, `name` by the display-name rule ("server" when absent or blank).
 */
export async function publishBody(c: Context, room: string): Promise<PublishRequest> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw badRequest('the body must be JSON: {"text":"…","name":"…","ref":"…"}');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object');
  const { text, ref, name } = body as Record<string, unknown>;
  if (name !== undefined && typeof name !== 'string') throw badRequest('name must be a string');
  // The same schema as a member's `message` frame, so the rules cannot drift apart.
  const frame = parseClientFrame(JSON.stringify({ type: 'message', text, ref }));
  if (frame instanceof ProtocolError) throw badRequest(frame.message);
  if (frame.type !== 'message') throw badRequest('the body must hold a text');
  const from = { id: SERVER_MEMBER_ID, name: parseDisplayName(name) ?? SERVER_MEMBER_ID };
  return { room, from, text: frame.text, ...(frame.ref === undefined ? {} : { ref: frame.ref }) };
}

/** A message object: the `message` frame without `type`. */
export function messageObject(m: ChatMessage): ChatMessage {
  return { id: m.id, room: m.room, from: publicMember(m.from), text: m.text, ts: m.ts };
}

/** The answer to a page of history: `{"messages":[…],"next":ID or null}`. */
export function pageBody(page: Page): { messages: ChatMessage[]; next: string | null } {
  return { messages: page.messages.map(messageObject), next: page.next };
}
