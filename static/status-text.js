// The status line in words: what the connection is doing and why, from the
// client library's status (its `reason` strings come from src/client/close-rules.ts).

const FIXED = {
  expired: 'session expired: open the page with a new token',
  renewing: 'renewing the session…',
  'no-token': 'no session: tokenUrl gave no token',
};

/** Why, in words, from the library's reason and close code. */
export function why(reason = '', code) {
  const status = /HTTP (\d{3})/.exec(reason)?.[1];
  // The server's own words, when the reason carries them ("refused (HTTP 400): bad_request: …").
  const detail = reason.replace(/^[^:]*\(HTTP \d{3}[^)]*\):?\s*/, '').replace(/^[a-z_]+:\s*/, '');
  if (status === '400' && /room/i.test(reason)) return 'Room name not allowed';
  if (status === '503' || code === 1013) return detail && detail !== reason ? `Server busy (${detail})` : 'Server busy';
  if (status === '429') return 'Too many connections from here';
  if (status === '403') return detail && detail !== reason ? `Not allowed: ${detail}` : 'Not allowed in this room';
  if (status === '401' || code === 4001) return 'Not signed in';
  if (code === 1012) return 'Server restarting';
  if (code === 1008) return `Closed by the server: ${reason || 'too many frames'}`;
  if (reason === 'connection lost' || code === 1006) return 'Connection lost';
  if (reason === 'could not connect') return 'Cannot reach the server';
  return reason;
}

/** The status line's text for `kind`: connected, connecting, reconnecting, disconnected, or one of FIXED. */
export function describeStatus(kind, { instance = '', reason = '', code, retryInMs } = {}) {
  if (FIXED[kind]) return FIXED[kind];
  if (kind === 'connected') return instance ? `connected · ${instance}` : 'connected';
  if (kind === 'reconnecting') {
    const because = why(reason, code);
    const when = retryInMs > 0 ? `retrying in ${Math.max(1, Math.round(retryInMs / 1000))} s` : 'retrying';
    return because ? `reconnecting: ${because}, ${when}` : 'reconnecting';
  }
  if (kind === 'closed') {
    const because = why(reason, code);
    return because ? `disconnected: ${because}` : 'disconnected';
  }
  return kind;
}
