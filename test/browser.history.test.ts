import { SignJWT } from 'jose';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useChromium } from './support/browser.ts';
import { redisAvailable } from './support/redis-server.ts';
import { useRedisAndTwoReplicas } from './support/replica-processes.ts';
import { TestClient } from './support/test-client.ts';

/**
 * The page's "Load older messages" in Debian's Chromium: it pages back through
 * the room's history with GET /rooms/:room/history?before=<oldest shown>, below
 * the latest 50 that the welcome brought, until the room has nothing older.
 */
const SECRET = 'browser-tests-secret-of-at-least-32-bytes';
const LOAD_OLDER = 'Load older messages';
/** Under the message rate limit's burst (40) on each connection. */
const PER_MEMBER = 30;

const label = (n: number) => `m-${String(n).padStart(3, '0')}`;
/** m-<from> … m-<count>: the room's messages as the page lists them, oldest first (newest at the bottom). */
const oldestFirst = (count: number, from = 1) => Array.from({ length: count - from + 1 }, (_, i) => label(from + i));

/** Publishes m-001 … m-<count> into `room`, in that order, through members of PER_MEMBER messages each. */
async function publish(urlOf: (name: string) => string, count: number): Promise<void> {
  for (let sent = 0, member = 0; sent < count; member++) {
    const { client } = await TestClient.join(urlOf(`writer-${member}`));
    try {
      for (const end = Math.min(count, sent + PER_MEMBER); sent < end; ) await client.say(label(++sent));
    } finally {
      client.close();
    }
  }
}

const texts = (page: Page) => page.locator('#messages .msg .text').allTextContents();
const status = (page: Page) => page.getByRole('status').textContent();
const loadOlder = (page: Page) => page.getByRole('button', { name: LOAD_OLDER, exact: true });

interface Visit {
  page: Page;
  /** The history requests the page made: their address and Authorization header. */
  history: { url: URL; authorization: string | undefined }[];
}

/** Presses "Load older messages" while it is shown; each press must add messages. */
async function loadAll(page: Page): Promise<number> {
  let presses = 0;
  while ((await loadOlder(page).count()) > 0) {
    const before = (await texts(page)).length;
    await loadOlder(page).click();
    presses += 1;
    await expect.poll(async () => (await texts(page)).length).toBeGreaterThan(before);
    // The page is done with this press when its button is back (enabled) or gone.
    await expect.poll(() => page.locator('#older:disabled').count()).toBe(0);
    if (presses > 10) throw new Error('still "Load older messages" after 10 presses');
  }
  return presses;
}

/** An HS256 token for the token replica's secret, valid an hour. */
function mint(sub: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now).setExpirationTime(now + 3600).sign(new TextEncoder().encode(SECRET));
}

describe.runIf(redisAvailable() && chromiumAvailable())('the page pages back through history, in Chromium', () => {
  /** A replica on Redis (history from XREVRANGE), and a second with AUTH_SECRET (history behind the token). */
  const servers = useRedisAndTwoReplicas(() => ({ AUTH_SECRET: SECRET }));
  const chromium = useChromium();

  /** A new tab at `/?<query>` on `on`, noting the page's history requests. */
  async function visit(query: string, on = servers.replica): Promise<Visit> {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const visit: Visit = { page, history: [] };
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/history')) visit.history.push({ url, authorization: request.headers()['authorization'] });
    });
    await page.goto(`${on.httpUrl('/')}?${query}`);
    return visit;
  }

  it('shows the latest 50 of 120, then with "Load older messages" all 120 once, oldest first, and hides the button at the start', async () => {
    const room = `history-${Date.now()}`;
    await publish((name) => servers.replica.wsUrl(room, { name }), 120);

    const { page, history } = await visit(`room=${room}&name=reader`);
    await expect.poll(() => status(page)).toBe('connected · node-1');
    await expect.poll(() => texts(page)).toEqual(oldestFirst(120, 71));
    expect(await loadOlder(page).count()).toBe(1);

    const presses = await loadAll(page);
    expect(await texts(page)).toEqual(oldestFirst(120));
    // 70 older ones, 50 a page: two presses, each asking before the oldest shown.
    expect(presses).toBe(2);
    expect(history.map(({ url }) => [url.pathname, url.searchParams.get('limit')])).toEqual([
      [`/rooms/${room}/history`, '50'],
      [`/rooms/${room}/history`, '50'],
    ]);
    const ids = await page.locator('#messages .msg').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.id));
    expect(new Set(ids).size).toBe(120);
    // The oldest shown each time: m-071, then m-021.
    expect(history.map(({ url }) => url.searchParams.get('before'))).toEqual([ids[70], ids[20]]);
    expect(history.every(({ authorization }) => authorization === undefined)).toBe(true);

    // Live messages still go at the bottom, below what was loaded.
    const { client } = await TestClient.join(servers.replica.wsUrl(room, { name: 'late' }));
    await client.say('after paging');
    client.close();
    await expect.poll(async () => (await texts(page)).slice(-2)).toEqual([label(120), 'after paging']);
    expect(await texts(page)).toHaveLength(121);
    expect(await loadOlder(page).count()).toBe(0);
  });

  it('shows no "Load older messages" in a room with fewer messages than its welcome brings', async () => {
    const room = `history-short-${Date.now()}`;
    await publish((name) => servers.replica.wsUrl(room, { name }), 3);
    const { page } = await visit(`room=${room}&name=reader`);
    await expect.poll(() => texts(page)).toEqual(oldestFirst(3));
    expect(await loadOlder(page).count()).toBe(0);
  });

  it('sends its token as Authorization: Bearer, never in the address, and gets every message', async () => {
    const room = `history-token-${Date.now()}`;
    const token = await mint('u-writer');
    await publish(() => servers.second.wsUrl(room, { token }), 60);
    // Without the token, the history route refuses, as joining does.
    expect((await fetch(servers.second.httpUrl(`/rooms/${room}/history?before=9999999999999-0&limit=50`))).status).toBe(401);

    const reader = await mint('u-reader');
    const { page, history } = await visit(`room=${room}&token=${reader}`, servers.second);
    await expect.poll(() => status(page)).toBe('connected · node-2');
    await expect.poll(() => texts(page)).toEqual(oldestFirst(60, 11));

    expect(await loadAll(page)).toBe(1);
    expect(await texts(page)).toEqual(oldestFirst(60));
    expect(history).toHaveLength(1);
    expect(history[0]!.authorization).toBe(`Bearer ${reader}`);
    expect(history[0]!.url.searchParams.has('token')).toBe(false);
    // Everything the writer sent is listed as the writer's, not the reader's.
    expect(await page.locator('#messages .msg.mine').count()).toBe(0);
  });
});
