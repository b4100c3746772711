import { vi } from 'vitest';

/**
 * The JSON lines the Worker and its room objects write while `body` runs: in
 * workerd they run in the test's isolate, so its console is theirs.
 */
export async function logLinesDuring(body: () => Promise<void>): Promise<any[]> {
  const lines: any[] = [];
  const keep = (text: unknown) => {
    if (typeof text !== 'string' || !text.startsWith('{')) return;
    lines.push(JSON.parse(text));
  };
  const spies = (['debug', 'log', 'warn', 'error'] as const).map((method) => vi.spyOn(console, method).mockImplementation(keep));
  try {
    await body();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines;
}
