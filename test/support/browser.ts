import { type Browser, type BrowserContext, type BrowserContextOptions, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
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

/**
 * Chromium for the tests of one describe block: launched before them, each
 * test's contexts (tabs) closed after it, the browser closed after all.
 */
export function useChromium(): { newContext(options?: BrowserContextOptions): Promise<BrowserContext> } {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async newContext(options) {
      const context = await browser!.newContext(options);
      contexts.push(context);
      return context;
    },
  };
}
