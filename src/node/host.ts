import { defaultInstanceId } from '../server/instance-id.ts';
import { hostname } from 'node:os';
import type { ServerHost } from '../server/host.ts';

export const nodeHost: ServerHost = {
  env: process.env,
  defaultInstanceId: defaultInstanceId(hostname(), process.pid),
  exit: (code) => process.exit(code),
  onStopSignal(handler) {
    process.on('SIGTERM', () => handler('SIGTERM'));
    process.on('SIGINT', () => handler('SIGINT'));
  },
  printError: (line) => console.error(line),
};
