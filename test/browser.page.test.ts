import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, useChromium } from './support/browser.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';
import { type ReplicaProcess, startReadyReplica } from './support/replica-processes.ts';

/**
 * The chat page in Debian's Chromium, against two replica processes with a
 * redis-server of the test's own between them: what a person at the page sees.
 */
const SCREENSHOTS = new URL('../test-results/screenshots/', import.meta.url).pathname;
const run = redisAvailable() && chromiumAvailable();

describe.runIf(run)('the chat page in Chromium', () => {
  let redis: RedisServer;
  const replicas: ReplicaProcess[] = [];
  const retired: ReplicaProcess[] = [];
  const chromium = useChromium();
  let rooms = 0;
  const freshRoom = () => `page-${Date.now()}-${rooms++}`;

  const startReplica = (name: string, port?: number) => startReadyReplica(name, redis.url, port);

  beforeAll(async () => {
    redis = await RedisServer.start();
    replicas.push(await startReplica('node-1'), await startReplica('node-2'));
  }, 60_000);
  afterAll(async () => {
    await Promise.all([...replicas, ...retired].map((r) => r.service.stop()));
    await redis?.stop();
  });

  /** A new tab (its own browser context) on a replica; with a room, the page connects at once. */
  async function openPage(replica: ReplicaProcess, query = '', width = 1280): Promise<Page> {
    const context = await chromium.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error(`page error on ${replica.name}: ${err.message}`));
    await page.goto(`${replica.httpUrl('/')}${query}`);
    return page;
  }

  async function joinRoom(replica: ReplicaProcess, room: string, name: string, width?: number): Promise<Page> {
    const page = await openPage(replica, `?room=${room}&name=${name}`, width);
    await expect.poll(() => page.getByRole('status').textContent()).toBe(`connected · ${replica.name}`);
    return page;
  }

  /** The texts in the message list, top to bottom. */
  const texts = (page: Page) => page.locator('#messages .msg .text').allTextContents();

  async function say(page: Page, text: string, how: 'enter' | 'click' = 'enter'): Promise<void> {
    const box = page.getByRole('textbox', { name: 'Message', exact: true });
    await box.fill(text);
    if (how === 'enter') await box.press('Enter');
    else await page.getByRole('button', { name: 'Send', exact: true }).click();
    // Sent once acked: the pending mark goes.
    await expect.poll(() => page.locator('#messages .msg.pending').count()).toBe(0);
  }

  /** Elements that reach past the right edge of the window: the page would scroll or clip sideways. */
  const overflowing = (page: Page) =>
    page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const out = Array.from(document.querySelectorAll('body *'))
        .filter((el) => el.getBoundingClientRect().right > width + 0.5)
        .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${Array.from(el.classList).join('.')}`);
      if (document.documentElement.scrollWidth > width) out.push(`document ${document.documentElement.scrollWidth} > ${width}`);
      return out;
    });

  it('names its controls for everyone: textboxes Room, Name and Message, buttons Connect and Send, a log of messages', async () => {
    const page = await openPage(replicas[0]!);
    await expect.poll(() => page.getByRole('textbox', { name: 'Room', exact: true }).count()).toBe(1);
    expect(await page.getByRole('textbox', { name: 'Name', exact: true }).count()).toBe(1);
    expect(await page.getByRole('textbox', { name: 'Message', exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Connect', exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Send', exact: true }).count()).toBe(1);
    expect(await page.getByRole('log').count()).toBe(1);
    expect(await page.getByRole('status').textContent()).toBe('disconnected');
  });

  it('remembers room and name in its address, so that a link invites someone into the room', async () => {
    const room = freshRoom();
    const page = await openPage(replicas[0]!);
    await page.getByRole('textbox', { name: 'Room', exact: true }).fill(room);
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('carol');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('connected · node-1');
    const link = new URL(page.url());
    expect([link.searchParams.get('room'), link.searchParams.get('name')]).toEqual([room, 'carol']);

    const invited = await openPage(replicas[1]!, `${link.search}`);
    await expect.poll(() => invited.getByRole('status').textContent()).toBe('connected · node-2');
    expect(await invited.getByRole('textbox', { name: 'Room', exact: true }).inputValue()).toBe(room);
    // Two members named carol: each told apart by the end of its member id.
    await expect.poll(() => page.locator('#members li').allTextContents())
      .toEqual(expect.arrayContaining([expect.stringMatching(/^carol #[A-Za-z0-9]{4} you$/), expect.stringMatching(/^carol #[A-Za-z0-9]{4}$/)]));
    const tags = await page.locator('#members li .tag').allTextContents();
    expect(new Set(tags).size).toBe(2);
  });

  it('lets two pages on two replicas chat both ways: newest at the bottom, own messages marked, members listed and dropped', async () => {
    const room = freshRoom();
    const alice = await joinRoom(replicas[0]!, room, 'alice');
    const bob = await joinRoom(replicas[1]!, room, 'bob');
    await expect.poll(() => alice.locator('#members li').allTextContents()).toEqual(expect.arrayContaining(['alice you', 'bob']));
    await expect.poll(() => bob.locator('#members li').allTextContents()).toEqual(expect.arrayContaining(['alice', 'bob you']));

    await say(alice, 'hello from alice', 'enter');
    await expect.poll(() => texts(bob)).toEqual(['hello from alice']);
    await say(bob, 'hi from bob', 'click');
    // Focus goes back to the message box after Send, so the next one can be typed at once.
    expect(await bob.evaluate(() => document.activeElement?.id)).toBe('message');
    expect(await bob.getByRole('textbox', { name: 'Message', exact: true }).inputValue()).toBe('');
    await expect.poll(() => texts(alice)).toEqual(['hello from alice', 'hi from bob']);
    expect(await texts(bob)).toEqual(['hello from alice', 'hi from bob']);

    const mine = (page: Page) => page.locator('#messages .msg.mine .text').allTextContents();
    expect(await mine(alice)).toEqual(['hello from alice']);
    expect(await mine(bob)).toEqual(['hi from bob']);
    expect(await alice.locator('#messages .msg.mine .you').allTextContents()).toEqual(['you']);

    await bob.close();
    await expect.poll(() => alice.locator('#members li').allTextContents()).toEqual(['alice you']);
  });

  it('shows reconnecting while its replica restarts, then connected, with what was sent meanwhile once and in order', async () => {
    const room = freshRoom();
    const alice = await joinRoom(replicas[0]!, room, 'alice');
    const bob = await joinRoom(replicas[1]!, room, 'bob');
    await say(bob, 'before');
    await expect.poll(() => texts(alice)).toEqual(['before']);

    const restarted = replicas[0]!;
    restarted.service.signal('SIGTERM');
    await restarted.service.exited;
    retired.push(restarted);
    try {
      await expect.poll(() => alice.getByRole('status').textContent()).toMatch(/^reconnecting: (Server restarting|Connection lost|Cannot reach the server), retrying in \d+ s$/);
      for (const text of ['while away 1', 'while away 2', 'while away 3']) await say(bob, text);
    } finally {
      // Started again whatever happened above: the tests after this one need node-1.
      replicas[0] = await startReplica(restarted.name, restarted.port);
    }

    await expect.poll(() => alice.getByRole('status').textContent(), { timeout: 15_000 }).toBe('connected · node-1');
    await expect.poll(() => texts(alice)).toEqual(['before', 'while away 1', 'while away 2', 'while away 3']);
    // Nothing came twice, and the page says nothing went missing.
    await new Promise((r) => setTimeout(r, 500));
    expect(await texts(alice)).toEqual(['before', 'while away 1', 'while away 2', 'while away 3']);
    expect(await alice.locator('#messages .sep').count()).toBe(0);
  }, 45_000);

  it('shows markup and a 2,000-character word as text: nothing runs, nothing overflows', async () => {
    const room = freshRoom();
    const alice = await joinRoom(replicas[0]!, room, 'alice');
    const bob = await joinRoom(replicas[1]!, room, 'bob');
    const markup = '<img src=x onerror="window.__xss=1">';
    const word = 'W'.repeat(2000);
    await say(alice, markup);
    await say(alice, word);
    await expect.poll(() => texts(bob)).toEqual([markup, word]);
    for (const page of [alice, bob]) {
      expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
      expect(await page.locator('#messages img').count()).toBe(0);
      expect(await overflowing(page)).toEqual([]);
    }
  });

  it('works under its Content-Security-Policy: connecting and chatting break no directive', async () => {
    const room = freshRoom();
    const context = await chromium.newContext();
    // Init scripts come in through DevTools, outside the page's policy.
    await context.addInitScript(() => {
      (window as any).__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => (window as any).__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const consoleReports: string[] = [];
    page.on('console', (m) => {
      if (m.text().includes('Content Security Policy')) consoleReports.push(m.text());
    });
    const response = await page.goto(`${replicas[0]!.httpUrl('/')}?room=${room}&name=alice`);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect.poll(() => page.getByRole('status').textContent()).toBe('connected · node-1');
    const bob = await joinRoom(replicas[1]!, room, 'bob');
    await say(page, 'hello under the policy');
    await expect.poll(() => texts(bob)).toEqual(['hello under the policy']);
    await say(bob, 'hi back');
    await expect.poll(() => texts(page)).toEqual(['hello under the policy', 'hi back']);
    const violations = () => page.evaluate(() => (window as any).__violations as string[]);
    expect(await violations()).toEqual([]);
    expect(consoleReports).toEqual([]);

    // The listener does hear the policy: an inline script is refused and reported.
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inline = 1';
      document.body.append(script);
    });
    await expect.poll(violations).toEqual(['script-src-elem inline']);
    expect(await page.evaluate(() => (window as any).__inline)).toBeUndefined();
  });

  it.each([375, 1280])('is usable %i px wide: every control on screen, nothing wider than the window', async (width) => {
    const room = freshRoom();
    const page = await joinRoom(replicas[0]!, room, 'alice', width);
    const other = await joinRoom(replicas[1]!, room, 'bob', width);
    await say(other, 'Hello! Here is a long word: ' + 'supercalifragilistic'.repeat(20));
    await say(page, 'Hi bob <b>not bold</b> 😀');
    await expect.poll(() => texts(page)).toHaveLength(2);
    // On a phone the connected page folds its connect form into the header: "Change" opens it.
    if (width < 760) {
      expect(await page.getByRole('textbox', { name: 'Room', exact: true }).isVisible()).toBe(false);
      await page.getByRole('button', { name: 'Change', exact: true }).click();
    }
    for (const control of [
      page.getByRole('textbox', { name: 'Room', exact: true }),
      page.getByRole('textbox', { name: 'Name', exact: true }),
      page.getByRole('button', { name: 'Connect', exact: true }),
      page.getByRole('textbox', { name: 'Message', exact: true }),
      page.getByRole('button', { name: 'Send', exact: true }),
    ]) {
      const box = await control.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= width).toBe(true);
    }
    expect(await overflowing(page)).toEqual([]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}page-${width}.png`, fullPage: true });
  });
});

