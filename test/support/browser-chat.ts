import type { BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { ReplicaProcess } from './replica-processes.ts';

/** What a test does at the chat page as a person would: open it, join a room, write, read. */
export function chatPageActions(chromium: { newContext(options?: BrowserContextOptions): Promise<BrowserContext> }) {
  /** A new tab (its own browser context) on a replica; with a room in `query`, the page connects at once. */
  async function openPage(replica: ReplicaProcess, query = '', width = 1280, context?: BrowserContext): Promise<Page> {
    const ctx = context ?? (await chromium.newContext({ viewport: { width, height: 800 } }));
    const page = await ctx.newPage();
    page.on('pageerror', (err) => console.error(`page error on ${replica.name}: ${err.message}`));
    await page.goto(`${replica.httpUrl('/')}${query}`);
    return page;
  }

  const status = (page: Page) => page.getByRole('status').textContent();

  async function joinRoom(replica: ReplicaProcess, room: string, name: string, width?: number): Promise<Page> {
    const page = await openPage(replica, `?room=${room}&name=${name}`, width);
    await expect.poll(() => status(page)).toBe(`connected · ${replica.name}`);
    return page;
  }

  /** The texts in the message list, in the list's (oldest first) order. */
  const texts = (page: Page) => page.locator('#messages .msg .text').allTextContents();

  const messageBox = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true });

  /** Types `text` and presses Enter; resolves once the server acked it (the pending mark went). */
  async function say(page: Page, text: string): Promise<void> {
    await messageBox(page).fill(text);
    await messageBox(page).press('Enter');
    await expect.poll(() => page.locator('#messages .msg.pending').count()).toBe(0);
  }

  return { openPage, joinRoom, status, texts, messageBox, say };
}

/** The message list's scroll state: how far from its end the reader is, in px. */
export function distanceFromEnd(page: Page): Promise<number> {
  return page.locator('#messages').evaluate((log) => log.scrollHeight - log.scrollTop - log.clientHeight);
}

/** Makes the page believe its tab was hidden or shown again (the Page Visibility API), as switching tabs does. */
export function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  return page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { value: s, configurable: true });
    Object.defineProperty(document, 'hidden', { value: s === 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}
