import { randomLetters } from '../room/random.ts';

/**
 * The instance id when INSTANCE_ID is unset: host name, pid and a random
 * suffix. In a container the host name and pid (node is PID 1) are the same
 * after a restart, and a restarted replica must not pass for its predecessor.
 * Cut to the 64 characters an instance id may have.
 */
export function defaultInstanceId(host: string, pid: number): string {
  const suffix = `-${pid}-${randomLetters(6)}`;
  const safeHost = host.replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 64 - suffix.length) || 'host';
  return safeHost + suffix;
}
