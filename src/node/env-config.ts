import { listenRefusal, unresolvedHost } from '../server/read-config.ts';

/** A start that cannot listen ends with one line that says what to change, and exit code 2. */
export function exitOnListenError(err: unknown): never {
  const { code, address, port, hostname } = (err ?? {}) as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    const why = code === 'EADDRINUSE' ? 'is in use' : code === 'EACCES' ? 'is not allowed' : 'is not available';
    console.error(listenRefusal(address ?? '', port ?? 0, why));
    process.exit(2);
  }
  // listen() looks HOST up first; these come from that lookup (getaddrinfo).
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    console.error(unresolvedHost(hostname ?? '', code));
    process.exit(2);
  }
  throw err;
}
