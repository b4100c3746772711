import { listenRefusal } from '../server/read-config.ts';

/** A start that cannot listen ends with one line that says what to change. */
export function exitOnListenError(err: unknown): never {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    const { address, port } = err as NodeJS.ErrnoException & { address?: string; port?: number };
    const why = code === 'EADDRINUSE' ? 'is in use' : code === 'EACCES' ? 'is not allowed' : 'is not available';
    console.error(listenRefusal(address ?? '', port ?? 0, why));
    process.exit(2);
  }
  throw err;
}
