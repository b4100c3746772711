import { type Browser, chromium } from 'playwright-core';
import { toolAvailable } from './tool.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** True when Debian's Chromium is there; else the browser tests skip, or fail under REQUIRE_CHROMIUM=1 (CI). */
export function chromiumAvailable(): boolean {
  return toolAvailable(CHROMIUM, ['--version'], 'REQUIRE_CHROMIUM', 'apt-get install chromium');
}

/**
 * Debian's Chromium, headless, never a downloaded browser. Playwright gives it
 * a fresh, empty profile; the flags keep it from calling the outside world,
 * which this network refuses.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
