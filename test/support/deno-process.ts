import { readFileSync } from 'node:fs';
import { ServiceProcess, freePort } from './service-process.ts';
import { toolAvailable } from './tool.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const DENO = `${ROOT}node_modules/.bin/deno`;

/** True when the deno package installed its binary; else the Deno tests skip, or fail under REQUIRE_DENO=1 (CI). */
export function denoAvailable(): boolean {
  return toolAvailable(DENO, ['--version'], 'REQUIRE_DENO', 'npm install: the deno package ships the binary, and package.json allows its install script');
}

/**
 * `npm run start:deno`, with the binary started directly (so that a signal
 * reaches Deno itself) and the arguments read from package.json, so the test
 * runs what the script runs. Resolves once it listens.
 */
export async function startDenoProcess(name: string, env: Record<string, string> = {}): Promise<{ port: number; process: ServiceProcess }> {
  const port = await freePort();
  const deno = runDenoEntry(name, { PORT: String(port), ...env });
  try {
    await deno.waitFor(/listening on/, 20_000);
  } catch (err) {
    await deno.stop();
    throw err;
  }
  return { port, process: deno };
}

/** The process `npm run start:deno` starts, as it starts; it may fail to. */
export function runDenoEntry(name: string, env: Record<string, string>): ServiceProcess {
  const script: string = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).scripts['start:deno'];
  // `NAME=value … deno run …`: the variables the script sets, then Deno's arguments.
  const words = script.split(/\s+/);
  const scriptEnv: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0]!)) {
    const [key, value] = words.shift()!.split('=');
    scriptEnv[key!] = value!;
  }
  const [command, ...args] = words;
  if (command !== 'deno') throw new Error(`start:deno does not start deno: ${script}`);
  return ServiceProcess.run(name, DENO, args, {
    ...scriptEnv,
    HOST: '127.0.0.1',
    INSTANCE_ID: name,
    ...env,
  });
}
