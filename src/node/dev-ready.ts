/**
 * Waits until a replica's `/readyz` answers 200, that is until its broker is
 * connected: "listening" comes first, and a page opened in between would get
 * 503 (on a busy machine Redis's connection can take a second or more).
 */
export async function untilBrokerReady(name: string, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      // Each probe gets its own 2 s, never cut short by the deadline: the last answer is the reason given.
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return;
      last = `${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} listened on ${url} but its broker was not ready within ${timeoutMs / 1000} s (/readyz: ${last})`);
}
