/** How long members get to answer the 1012 close before their sockets are dropped. */
export const CLOSE_GRACE_MS = 3000;

/** Resolves once no socket is left open, or once the grace is over. */
export async function awaitSocketsClosed(openSockets: () => number, graceMs = CLOSE_GRACE_MS): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (openSockets() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** The address to print: a wildcard host is shown as localhost, which a browser can open. */
export function displayUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${shown}:${port}`;
}
