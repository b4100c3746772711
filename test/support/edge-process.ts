import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, freePort } from './service-process.ts';

export interface EdgeProcess {
  readonly port: number;
  readonly process: ServiceProcess;
  stop(): Promise<void>;
}

/**
 * The Worker and its Durable Objects in workerd, started the way docs/edge.md
 * says (`npm run dev:edge`), on a free loopback port, with its storage in a
 * temporary folder that goes when it stops. `vars` are the Worker's variables
 * (as wrangler.toml `[vars]` would set them), given with `--var KEY:VALUE`;
 * a value may span lines (a PEM).
 */
export async function startEdgeProcess(vars: Record<string, string> = {}): Promise<EdgeProcess> {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), 'chat-edge-'));
  const edge = ServiceProcess.run('wrangler dev', 'npm', [
    'run', '--silent', 'dev:edge', '--',
    '--port', String(port), '--ip', '127.0.0.1', '--persist-to', state, '--show-interactive-dev-session=false',
    // A value's line breaks (a PEM's) go as `\n`, which the Worker reads back as line breaks.
    ...Object.entries(vars).flatMap(([key, value]) => ['--var', `${key}:${value.replace(/\r?\n/g, '\\n')}`]),
  ]);
  const stop = async () => {
    await edge.stop();
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await edge.waitFor(/Ready on http:\/\/127\.0\.0\.1:\d+/, 60_000);
    return { port, process: edge, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
