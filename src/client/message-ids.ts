/** Message ids, `ms-seq`, parsed and ordered: how the client tells what it delivered already. */

/** `ms-seq`, decimal without leading zeros; as src/protocol/message-id.ts (copied: no runtime import). */
const ID_PATTERN = /^(0|[1-9][0-9]*)-(0|[1-9][0-9]*)$/;

export function parseId(text: string): [number, number] | null {
  const m = ID_PATTERN.exec(text);
  if (!m) return null;
  const ms = Number(m[1]);
  const seq = Number(m[2]);
  return Number.isSafeInteger(ms) && Number.isSafeInteger(seq) ? [ms, seq] : null;
}

export function compareIds(a: [number, number], b: [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}
