import { z } from 'zod';
import { ProtocolError } from './codes.ts';
import { codePointLength, REF_MAX_CHARS, TEXT_MAX_CHARS } from './limits.ts';

const ref = z
  .string()
  .refine((s) => s.length > 0 && codePointLength(s) <= REF_MAX_CHARS, `must be 1–${REF_MAX_CHARS} characters`);

const text = z
  .string()
  .refine((s) => s.trim().length > 0, 'must not be empty or only white space')
  .refine((s) => codePointLength(s) <= TEXT_MAX_CHARS, `must be at most ${TEXT_MAX_CHARS} characters`);

/** The one schema for what a client may send. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), text, ref: ref.optional() }),
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('refresh'), token: z.string() }),
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type ClientMessage = Extract<ClientFrame, { type: 'message' }>;

const refCarrier = z.object({ ref });

/**
 * Parses one text frame. A bad frame becomes a `bad_request` ProtocolError that
 * carries the frame's `ref` when one could be read, so the client can match it.
 */
export function parseClientFrame(data: string): ClientFrame | ProtocolError {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return new ProtocolError('bad_request', 'frame is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return new ProtocolError('bad_request', 'frame must be a JSON object');
  }
  const parsed = clientFrameSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const carried = refCarrier.safeParse(json);
  return new ProtocolError('bad_request', describeIssue(parsed.error), carried.success ? carried.data.ref : undefined);
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid frame';
  if (issue.code === 'invalid_union' && issue.path.length === 0) {
    return 'type must be "message", "ping" or "refresh"';
  }
  const field = issue.path.join('.') || 'frame';
  if (issue.code === 'invalid_type') {
    return `${field} must be a ${issue.expected}`;
  }
  return `${field} ${issue.message}`;
}
