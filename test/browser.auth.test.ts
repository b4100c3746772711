import { mkdirSync } from 'node:fs';
import { SignJWT } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { chromiumAvailable, useChromium } from './support/browser.ts';
import { type ReplicaProcess, startReplicaProcess, waitReady } from './support/replica-processes.ts';

/**
 * The chat page in Debian's Chromium against a replica process that runs with
 * AUTH_SECRET: a token from the address, its expiry, and its renewal from a
 * `tokenUrl` (answered by the test through Playwright, on the page's own origin).
 */
const SCREENSHOTS = new URL('../test-results/screenshots/', import.meta.url).pathname;
const SECRET = 'browser-tests-secret-of-at-least-32-bytes';
const EXPIRED = 'session expired: open the page with a new token';

/** A token's `exp`, in ms. */
function expiryOf(token: string): number {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp * 1000;
}

/** An HS256 token for the replica's secret, valid `ttl` seconds from now (negative: already expired). */
function mint(claims: { sub: string; name?: string; rooms?: string[] }, ttl = 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now).setExpirationTime(now + ttl).sign(new TextEncoder().encode(SECRET));
}

describe.runIf(chromiumAvailable())('the chat page with tokens, in Chromium', () => {
  let replica: ReplicaProcess;
  const chromium = useChromium();
  let rooms = 0;
  const freshRoom = () => `auth-${Date.now()}-${rooms++}`;

  beforeAll(async () => {
    replica = await startReplicaProcess('node-1', { AUTH_SECRET: SECRET });
    await waitReady(replica);
  }, 60_000);
  afterAll(async () => {
    await replica?.service.stop();
  });

  interface Tab {
    page: Page;
    /** Every WebSocket the page opened, in order. */
    sockets: string[];
    /** The frames the server sent, parsed. */
    frames: { type: string }[];
    /** What the page's Content-Security-Policy refused. */
    violations: () => Promise<string[]>;
  }

  /** A new tab (its own browser context) at `/?<query>`, with an answer for `/token` when given. */
  async function openPage(query: string, tokenRoute?: (hit: number) => Promise<{ status: number; body: string }>): Promise<Tab> {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 800 } });
    // Init scripts come in through DevTools, outside the page's policy.
    await context.addInitScript(() => {
      (window as any).__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => (window as any).__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const tab: Tab = { page, sockets: [], frames: [], violations: () => page.evaluate(() => (window as any).__violations) };
    // What the page did, in order, printed when the test fails.
    const story: string[] = [];
    const note = (line: string) => story.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    onTestFailed(() => console.error(`--- page ${query.slice(0, 60)} ---\n${story.join('\n')}\n--- end of page ---`));
    page.on('pageerror', (err) => note(`page error: ${err.message}`));
    page.on('console', (message) => note(`console: ${message.text()}`));
    page.on('websocket', (ws) => {
      tab.sockets.push(ws.url());
      note(`socket ${ws.url().replace(/token=[^&]+/, 'token=…')}`);
      ws.on('framereceived', ({ payload }) => {
        note(`received ${String(payload).slice(0, 200)}`);
        tab.frames.push(JSON.parse(String(payload)));
      });
      ws.on('framesent', ({ payload }) => note(`sent ${String(payload).slice(0, 60)}`));
      ws.on('close', () => note('socket closed'));
    });
    if (tokenRoute) {
      let hits = 0;
      // A real fetch by the page, to its own origin; Playwright answers it before it reaches the replica.
      await page.route(replica.httpUrl('/token'), async (route) => {
        const answer = await tokenRoute(hits++);
        note(`tokenUrl answered ${answer.status}`);
        await route.fulfill({ ...answer, contentType: 'text/plain' });
      });
    }
    await page.goto(`${replica.httpUrl('/')}?${query}`);
    return tab;
  }

  const status = (page: Page) => page.getByRole('status').textContent();
  const members = (page: Page) => page.locator('#members li').allTextContents();
  const texts = (page: Page) => page.locator('#messages .msg .text').allTextContents();
  const nameField = (page: Page) => page.getByRole('textbox', { name: 'Name', exact: true });

  async function say(page: Page, text: string): Promise<void> {
    const box = page.getByRole('textbox', { name: 'Message', exact: true });
    await box.fill(text);
    await box.press('Enter');
    await expect.poll(() => page.locator('#messages .msg.pending').count()).toBe(0);
  }

  it("joins under the token's name, read-only, seen by a second page; the token leaves the address but survives a reload", async () => {
    const room = freshRoom();
    const alice = await openPage(`room=${room}&name=mallory&token=${await mint({ sub: 'u-alice', name: 'Alice Example' })}`);
    await expect.poll(() => status(alice.page)).toBe('connected · node-1');
    expect(await nameField(alice.page).inputValue()).toBe('Alice Example');
    expect(await nameField(alice.page).evaluate((el: HTMLInputElement) => el.readOnly)).toBe(true);
    expect(await members(alice.page)).toEqual(['Alice Example you']);
    const socket = new URL(alice.sockets[0]!);
    expect([socket.searchParams.has('token'), socket.searchParams.has('name')]).toEqual([true, false]);
    // A copied link invites into the room without handing on who the sender is.
    const address = new URL(alice.page.url());
    expect([address.searchParams.get('room'), address.searchParams.has('token'), address.searchParams.has('name')]).toEqual([room, false, false]);

    // No name in the token: the member is named by its sub.
    const bob = await openPage(`room=${room}&token=${await mint({ sub: 'u-bob' })}`);
    await expect.poll(() => status(bob.page)).toBe('connected · node-1');
    expect(await nameField(bob.page).inputValue()).toBe('u-bob');
    await expect.poll(() => members(bob.page)).toEqual(expect.arrayContaining(['Alice Example', 'u-bob you']));
    await expect.poll(() => members(alice.page)).toEqual(expect.arrayContaining(['Alice Example you', 'u-bob']));
    await say(alice.page, 'hello as alice');
    await expect.poll(() => texts(bob.page)).toEqual(['hello as alice']);
    expect(await bob.page.locator('#messages .msg .from').allTextContents()).toEqual(['Alice Example']);

    await alice.page.reload();
    await expect.poll(() => status(alice.page)).toBe('connected · node-1');
    expect(await nameField(alice.page).inputValue()).toBe('Alice Example');
    expect(alice.sockets).toHaveLength(2);
    expect(await alice.violations()).toEqual([]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await alice.page.screenshot({ path: `${SCREENSHOTS}page-token.png` });
  });

  it('says the session expired for an expired token, and does not reconnect in a loop', async () => {
    const tab = await openPage(`room=${freshRoom()}&token=${await mint({ sub: 'u-late', name: 'late' }, -60)}`);
    await expect.poll(() => status(tab.page)).toBe(EXPIRED);
    await tab.page.waitForTimeout(3000);
    expect(await status(tab.page)).toBe(EXPIRED);
    expect(tab.sockets).toHaveLength(1);
    expect(await nameField(tab.page).inputValue()).toBe('late');
    await tab.page.screenshot({ path: `${SCREENSHOTS}page-token-expired.png` });
  });

  it('says the session expired when the server closes with 4001, and stays closed; the others see it leave', async () => {
    const room = freshRoom();
    const bob = await openPage(`room=${room}&token=${await mint({ sub: 'u-bob', name: 'bob' })}`);
    // Six seconds: a page slow to load under load must still join before the token expires.
    const alice = await openPage(`room=${room}&token=${await mint({ sub: 'u-alice', name: 'alice' }, 6)}`);
    await expect.poll(() => status(alice.page)).toBe('connected · node-1');
    await expect.poll(() => members(bob.page)).toEqual(expect.arrayContaining(['alice', 'bob you']));
    await expect.poll(() => status(alice.page), { timeout: 10_000 }).toBe(EXPIRED);
    await expect.poll(() => members(bob.page)).toEqual(['bob you']);
    expect(await members(alice.page)).toEqual([]);
    await alice.page.waitForTimeout(2000);
    expect(alice.sockets).toHaveLength(1);
    expect(await status(alice.page)).toBe(EXPIRED);
  });

  it('takes its token from tokenUrl, and renews it before expiry with refresh, on the same connection', async () => {
    const room = freshRoom();
    let issued = 0;
    const alice = await openPage(`room=${room}&tokenUrl=/token`, async () => {
      issued += 1;
      return { status: 200, body: await mint({ sub: 'u-alice', name: 'alice' }, 4) };
    });
    await expect.poll(() => status(alice.page)).toBe('connected · node-1');
    expect(await nameField(alice.page).inputValue()).toBe('alice');
    const started = Date.now();
    // Two renewals carry the member past the first token's expiry and the second's.
    await expect.poll(() => alice.frames.filter((f) => f.type === 'refreshed').length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    expect(Date.now() - started).toBeGreaterThan(4000);
    expect(issued).toBeGreaterThanOrEqual(3);
    expect(alice.sockets).toHaveLength(1);
    expect(await status(alice.page)).toBe('connected · node-1');
    expect(alice.frames.filter((f) => f.type === 'error')).toEqual([]);
    expect(await alice.violations()).toEqual([]);
  });

  it('after a 4001, retries a tokenUrl that fails once in passing instead of ending the session', async () => {
    const room = freshRoom();
    const fresh = await mint({ sub: 'u-alice', name: 'alice' });
    // Every renewal before the short token expires and the first ask after it get 503; the next gets a token.
    // Six seconds, so that a page slow to load under load still connects with the short token first.
    const shortLived = await mint({ sub: 'u-alice', name: 'alice' }, 6);
    const expiresAt = expiryOf(shortLived);
    let failedAfterExpiry = false;
    const alice = await openPage(`room=${room}&tokenUrl=/token&token=${shortLived}`, async () => {
      if (Date.now() < expiresAt) return { status: 503, body: 'try later' };
      if (!failedAfterExpiry) {
        failedAfterExpiry = true;
        return { status: 503, body: 'try later' };
      }
      return { status: 200, body: JSON.stringify({ token: fresh }) };
    });
    await expect.poll(() => status(alice.page)).toBe('connected · node-1');
    await expect.poll(() => alice.sockets.length, { timeout: 15_000 }).toBe(2);
    expect(new URL(alice.sockets[1]!).searchParams.get('token')).toBe(fresh);
    await expect.poll(() => status(alice.page), { timeout: 10_000 }).toBe('connected · node-1');
  });

  it('on 4001 fetches a fresh token from tokenUrl and reconnects with since, losing nothing', async () => {
    const room = freshRoom();
    const bob = await openPage(`room=${room}&token=${await mint({ sub: 'u-bob', name: 'bob' })}`);
    await expect.poll(() => status(bob.page)).toBe('connected · node-1');
    const fresh = await mint({ sub: 'u-alice', name: 'alice' });
    // Every renewal before the short token expires fails (503), so the server closes with 4001 at its
    // expiry; asks after it get a token, as JSON. Twelve seconds, so that a page slow to load under load
    // still connects with the short token and gets 'before' on it first (6 s were not enough in CI).
    const shortLived = await mint({ sub: 'u-alice', name: 'alice' }, 12);
    const expiresAt = expiryOf(shortLived);
    const alice = await openPage(`room=${room}&tokenUrl=/token&token=${shortLived}`, async () =>
      Date.now() < expiresAt ? { status: 503, body: 'try later' } : { status: 200, body: JSON.stringify({ token: fresh }) },
    );
    await expect.poll(() => status(alice.page)).toBe('connected · node-1');
    await say(bob.page, 'before');
    await expect.poll(() => texts(alice.page)).toEqual(['before']);

    await expect.poll(() => alice.sockets.length, { timeout: 15_000 }).toBe(2);
    const second = new URL(alice.sockets[1]!);
    expect(second.searchParams.get('token')).toBe(fresh);
    expect(second.searchParams.get('since')).toMatch(/^\d+-\d+$/);
    await expect.poll(() => status(alice.page)).toBe('connected · node-1');
    await say(bob.page, 'after');
    await expect.poll(() => texts(alice.page)).toEqual(['before', 'after']);
    expect(await alice.page.locator('#messages .sep').count()).toBe(0);
    expect(alice.frames.filter((f) => f.type === 'welcome')).toHaveLength(2);
    expect(alice.frames.filter((f) => f.type === 'welcome').at(-1)).toMatchObject({ recovered: true });
    // It waits out a 12 s token and loads two pages: on a shared, loaded machine that took up to 26 s.
  }, 50_000);
});
