import { defaultInstanceId } from '../server/instance-id.ts';
import type { ServerHost } from '../server/host.ts';

export const denoHost: ServerHost = {
  env: Deno.env.toObject(),
  defaultInstanceId: defaultInstanceId(Deno.hostname(), Deno.pid),
  exit: (code) => Deno.exit(code),
  onStopSignal(handler) {
    Deno.addSignalListener('SIGTERM', () => handler('SIGTERM'));
    Deno.addSignalListener('SIGINT', () => handler('SIGINT'));
  },
  printError: (line) => console.error(line),
};
