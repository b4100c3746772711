/**
 * A full garbage collection of a Node or Deno process, forced from outside
 * through its V8 inspector (started with `--inspect=127.0.0.1:<port>`), the
 * same way for every system the bench measures; the approach of
 * scripts/connection-memory.ts.
 */
import { WebSocket } from 'ws';

/** An inspector call that does not answer in this time fails the measurement rather than hanging it. */
const CALL_TIMEOUT_MS = 30_000;

/**
 * Two full GCs, one after the other: the first runs the weak callbacks and
 * finalizers of what died (closed sockets' native parts among them), the
 * second collects what those callbacks let go.
 */
export async function collectGarbage(inspectorPort: number): Promise<void> {
  const url = await debuggerUrl(inspectorPort);
  const ws = new WebSocket(url);
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const call = inspectorCaller(ws, inspectorPort);
    await call('HeapProfiler.enable');
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.disable');
  } finally {
    ws.close();
  }
}

async function debuggerUrl(inspectorPort: number): Promise<string> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as { webSocketDebuggerUrl?: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`the inspector on 127.0.0.1:${inspectorPort} lists no target: ${JSON.stringify(targets)}`);
  return url;
}

function inspectorCaller(ws: WebSocket, inspectorPort: number): (method: string) => Promise<void> {
  let lastId = 0;
  return (method) =>
    new Promise<void>((resolve, reject) => {
      const id = ++lastId;
      const timer = setTimeout(() => {
        ws.off('message', onMessage);
        reject(new Error(`${method} on the inspector at 127.0.0.1:${inspectorPort}: no answer in ${CALL_TIMEOUT_MS} ms`));
      }, CALL_TIMEOUT_MS);
      const onMessage = (raw: Buffer): void => {
        const message = JSON.parse(raw.toString()) as { id?: number; error?: { message: string } };
        if (message.id !== id) return;
        clearTimeout(timer);
        ws.off('message', onMessage);
        if (message.error) reject(new Error(`${method} on the inspector at 127.0.0.1:${inspectorPort}: ${message.error.message}`));
        else resolve();
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method }));
    });
}
