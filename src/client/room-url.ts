/** The WebSocket URL of a room: http→ws, https→wss, `/ws/<room>?name&since&token`. */
export function roomUrl(baseUrl: string, room: string, query: { name?: string; since?: string | null; token?: string }): string {
  const url = new URL(baseUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = `${path}/ws/${encodeURIComponent(room)}`;
  const parts: string[] = [];
  if (query.name !== undefined && query.name !== '') parts.push(`name=${encodeURIComponent(query.name)}`);
  if (query.since) parts.push(`since=${encodeURIComponent(query.since)}`);
  if (query.token !== undefined) parts.push(`token=${encodeURIComponent(query.token)}`);
  url.search = parts.join('&');
  url.hash = '';
  return url.toString();
}
