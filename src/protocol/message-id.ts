/** A message id `ms-seq`, compared as a pair. */
export interface MessageId {
  readonly ms: number;
  readonly seq: number;
}

const ID_PATTERN = /^(0|[1-9][0-9]*)-(0|[1-9][0-9]*)$/;

/** Parses an id written in decimal without leading zeros; anything else is null. */
export function parseMessageId(text: string): MessageId | null {
  const m = ID_PATTERN.exec(text);
  if (!m) return null;
  const ms = Number(m[1]);
  const seq = Number(m[2]);
  if (!Number.isSafeInteger(ms) || !Number.isSafeInteger(seq)) return null;
  return { ms, seq };
}

export function formatMessageId(id: MessageId): string {
  return `${id.ms}-${id.seq}`;
}

export function compareMessageIds(a: MessageId, b: MessageId): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.seq - b.seq;
}

/** Compares two well-formed id strings; throws on a malformed one. */
export function compareIdText(a: string, b: string): number {
  const x = parseMessageId(a);
  const y = parseMessageId(b);
  if (!x || !y) throw new TypeError(`malformed message id: ${!x ? a : b}`);
  return compareMessageIds(x, y);
}

/** The next id after `last`, at time `now`: never smaller, even if the clock went back. */
export function nextMessageId(last: MessageId | null, now: number): MessageId {
  if (!last || now > last.ms) return { ms: now, seq: 0 };
  return { ms: last.ms, seq: last.seq + 1 };
}
