/**
 * ALLOWED_ORIGINS (docs/protocol.md "Origins"): a comma-separated list; scheme and
 * host compare without letter case, and a default port may be left out.
 * Returns a check, or undefined when no list is set (any Origin is accepted).
 * Throws an Error naming the first entry that is not an origin.
 */
export function parseAllowedOrigins(raw: string | undefined): ((origin: string | undefined) => boolean) | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const allowed = new Set<string>();
  for (const entry of raw.split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const origin = canonicalOrigin(trimmed);
    if (origin === undefined) throw new Error(`"${trimmed.slice(0, 100)}" is not an origin such as https://chat.example.com`);
    allowed.add(origin);
  }
  if (allowed.size === 0) throw new Error('it lists no origin (unset it to accept any Origin)');
  // No Origin header: not a browser, accepted. `null` and anything unlisted: refused.
  return (origin) => origin === undefined || allowed.has(canonicalOrigin(origin) ?? '\u0000');
}

/** scheme://host[:port] in lower case with the default port dropped; undefined for anything else (`null` included). */
function canonicalOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return undefined;
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\/?$/i.test(text)) return undefined;
  // URL already lower-cases the scheme and host and drops a default port.
  return url.origin;
}
