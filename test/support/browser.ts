import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { toolAvailable } from './tool.ts';

export const CHROMIUM = '/usr/bin/chromium';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The page's bundle of the client library: built (`npm run build:page`, run by `npm install`), never committed. */
export const PAGE_BUNDLE = 'static/vendor/chat-client.js';

/** Newest modification time of the files under `dir`, in ms. */
function newestUnder(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const stat = statSync(join(dir, name));
    if (stat.isFile()) newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

/**
 * Throws, saying what to run, when the page cannot be what src/client says: its
 * bundle is missing (a clone where `npm install` has not run its `prepare`) or
 * older than src/client (an edit since the last build). Tests that serve
 * static/ to a browser call it first, rather than fail on a blank page.
 */
export function assertPageBuilt(): void {
  let built: number;
  try {
    built = statSync(join(ROOT, PAGE_BUNDLE)).mtimeMs;
  } catch {
    throw new Error(`${PAGE_BUNDLE} is missing: the page imports it. Run \`npm run build:page\` (npm install and npm ci run it through prepare).`);
  }
  if (newestUnder(join(ROOT, 'src/client')) > built) {
    throw new Error(`${PAGE_BUNDLE} is older than src/client: run \`npm run build:page\` again.`);
  }
}

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
    assertPageBuilt();
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
