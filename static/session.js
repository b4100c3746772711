// The page's token (docs/protocol.md "Who may connect"): taken from the address,
// kept for this tab, renewed from a `tokenUrl`. The page reads a token only to
// show its name and to time its renewal; the server is what checks it.

const STORE_KEY = 'chat.token';
const REFRESH_LEAD_MAX_MS = 30_000;
// A tokenUrl that hands out the same token again must not make the page send refresh after refresh.
const REFRESH_MIN_GAP_MS = 1000;

/** A JWT's payload, or null for anything that is not one. */
export function claimsOf(token) {
  const part = typeof token === 'string' ? token.split('.')[1] : undefined;
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

/** The name the server gives a member with this token: its `name`, trimmed, else its `sub`. */
export function nameOf(claims) {
  const name = typeof claims?.name === 'string' ? claims.name.trim() : '';
  // As the server names a member without a name: its sub, trimmed, cut to 32 characters.
  return name || (typeof claims?.sub === 'string' ? [...claims.sub.trim()].slice(0, 32).join('') : '');
}

/** Whether the token's `exp` has passed by this page's clock. */
export function hasExpired(token, now = Date.now()) {
  const exp = claimsOf(token)?.exp;
  return typeof exp === 'number' && exp * 1000 <= now;
}

/** How long to wait before renewing: 30 s before `exp`, or a fifth of the lifetime when that is less. */
export function refreshDelay(token, now = Date.now()) {
  const claims = claimsOf(token);
  if (typeof claims?.exp !== 'number') return null;
  const expMs = claims.exp * 1000;
  const issuedMs = typeof claims.iat === 'number' ? claims.iat * 1000 : now;
  const lead = Math.min(REFRESH_LEAD_MAX_MS, Math.max(0, expMs - issuedMs) / 5);
  return Math.max(REFRESH_MIN_GAP_MS, expMs - lead - now);
}

/**
 * The token and tokenUrl of this page. A token in the address is moved to this
 * tab's sessionStorage and taken out of the address, so that a copied link (the
 * page keeps room and name there to invite people) never hands it on, while a
 * reload still has it.
 */
export function readSession(url = new URL(location.href)) {
  const fromAddress = url.searchParams.get('token');
  const tokenUrl = sameOrigin(url.searchParams.get('tokenUrl'));
  if (fromAddress !== null) {
    store(fromAddress);
    url.searchParams.delete('token');
    history.replaceState(null, '', url);
  }
  return { token: fromAddress ?? stored(), tokenUrl };
}

export function store(token) {
  try {
    sessionStorage.setItem(STORE_KEY, token);
  } catch {
    // Storage is off: the token lives as long as the page.
  }
}

function stored() {
  try {
    return sessionStorage.getItem(STORE_KEY);
  } catch {
    return null;
  }
}

/** Only a URL of the page's own origin: the policy allows no other, and a token must not go elsewhere. */
function sameOrigin(raw) {
  if (!raw) return null;
  try {
    const url = new URL(raw, location.href);
    if (url.origin === location.origin) return url.href;
  } catch {
    // Not a URL: refused below.
  }
  console.warn('tokenUrl is ignored: it must be a URL on this page\'s own origin');
  return null;
}

/** A fresh token from tokenUrl: its body is the token, or `{"token":"…"}`; null when there is none. */
export async function fetchToken(tokenUrl) {
  try {
    const res = await fetch(tokenUrl, { cache: 'no-store', credentials: 'same-origin', headers: { accept: 'application/json, text/plain' } });
    if (!res.ok) return null;
    const body = (await res.text()).trim();
    const token = body.startsWith('{') ? JSON.parse(body).token : body;
    return typeof token === 'string' && claimsOf(token) ? token : null;
  } catch {
    return null;
  }
}
