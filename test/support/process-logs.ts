/**
 * Output of the processes tests started (redis-server, replicas), printed by
 * test/setup.ts when a test fails, so a failure shows what the servers said.
 */
const sources = new Map<string, () => string>();

export function showLogsOnFailure(name: string, read: () => string): () => void {
  const key = `${name}#${sources.size}-${Date.now()}`;
  sources.set(key, read);
  return () => sources.delete(key);
}

export function printLogs(): void {
  for (const [key, read] of sources) {
    const name = key.slice(0, key.lastIndexOf('#'));
    console.error(`--- ${name} output ---\n${read()}\n--- end of ${name} ---`);
  }
}
