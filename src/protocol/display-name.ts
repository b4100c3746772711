import { ProtocolError } from './codes.ts';
import { codePointLength, NAME_MAX_CHARS } from './limits.ts';

/**
 * Characters a display name may not hold (docs/protocol.md v1.1, "Fine points"):
 * controls (Unicode Cc), bidirectional controls, and zero-width characters,
 * which let one member pose as another or reorder the text around a name.
 */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]/u;

/**
 * A display name as given in a query, a token or the API: trimmed; absent when
 * empty or only white space (the room names it `anon-…`); else 1–32 characters
 * with none of the forbidden ones, or a `bad_request` ProtocolError.
 *
 * Trimming comes first, so that a name of only white space (tabs and line
 * breaks included, which are Cc) stays anonymous as in v1.
 */
export function parseDisplayName(raw: string | undefined): string | undefined {
  const trimmed = raw?.trim() ?? '';
  if (trimmed === '') return undefined;
  if (codePointLength(trimmed) > NAME_MAX_CHARS) {
    throw new ProtocolError('bad_request', `name must be at most ${NAME_MAX_CHARS} characters`);
  }
  if (FORBIDDEN.test(trimmed)) {
    throw new ProtocolError('bad_request', 'name must not hold control, bidirectional-control or zero-width characters');
  }
  return trimmed;
}
