// Why the server refuses to let this page in. A browser hides a refused
// WebSocket's answer; the library learns the status from the history route
// (which runs the join checks) but keeps only the number on a retry, so the
// page asks that route once itself to read the server's words (its JSON error).

/** The server's `code: message` for joining `room` now; '' when it lets in or says nothing readable. */
export async function refusalReason(room, token) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const res = await fetch(`/rooms/${encodeURIComponent(room)}/history?limit=1`, { cache: 'no-store', headers });
    if (res.ok) {
      await res.body?.cancel();
      return '';
    }
    const body = await res.json();
    const code = typeof body?.error?.code === 'string' ? body.error.code : '';
    const message = typeof body?.error?.message === 'string' ? body.error.message : '';
    return [code, message].filter(Boolean).join(': ');
  } catch {
    return '';
  }
}
