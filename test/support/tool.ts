import { spawnSync } from 'node:child_process';

/**
 * Whether a tool a test needs runs. Without it the test skips, with one line
 * saying why and how to install it; under CI=true, or with `requiredBy` set
 * to 1 in the environment, its absence is a failure.
 */
export function toolAvailable(command: string, versionArgs: string[], requiredBy: string, install: string): boolean {
  if (spawnSync(command, versionArgs, { stdio: 'ignore' }).status === 0) return true;
  if (process.env[requiredBy] === '1' || process.env.CI === 'true') {
    throw new Error(`${command} does not run, and ${process.env.CI === 'true' ? 'CI=true' : `${requiredBy}=1`} makes the tests that use it required`);
  }
  console.warn(`skipping the tests that need ${command}: it does not run here (${install})`);
  return false;
}
