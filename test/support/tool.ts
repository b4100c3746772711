import { spawnSync } from 'node:child_process';

/**
 * Whether a system tool a test needs is on PATH. Without it the test skips,
 * with one line saying why and how to install it; when `requiredBy` is set
 * to 1 in the environment (as .ci/run sets it), its absence is a failure.
 */
export function toolAvailable(command: string, versionArgs: string[], requiredBy: string, install: string): boolean {
  if (spawnSync(command, versionArgs, { stdio: 'ignore' }).status === 0) return true;
  if (process.env[requiredBy] === '1') throw new Error(`${command} is not on PATH, and ${requiredBy}=1 makes the tests that use it required`);
  console.warn(`skipping the tests that need ${command}: it is not on PATH (${install})`);
  return false;
}
