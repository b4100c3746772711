import { it } from 'vitest';
import type { ConformanceDriver, PlatformRow } from './driver.ts';

/** A row, or, where the driver lists it as a platform difference, a row expected to fail (and named so). */
export function platformRow(driver: ConformanceDriver, key: PlatformRow, name: string) {
  const why = driver.knownDifferences?.[key];
  return why ? ([it.fails, `${name} [fails here, expectedly: ${why}]`] as const) : ([it, name] as const);
}
