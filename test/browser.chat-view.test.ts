import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, useChromium } from './support/browser.ts';
import { chatPageActions, distanceFromEnd, setVisibility } from './support/browser-chat.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';
import { type ReplicaProcess, startReadyReplica } from './support/replica-processes.ts';

/**
 * The page as a chat, in Debian's Chromium against two replicas over a
 * redis-server of the test's own: newest at the bottom, groups, lines and
 * links, own messages across a reload, the title, the phone layout.
 */
const SCREENSHOTS = new URL('../test-results/screenshots/', import.meta.url).pathname;
const run = redisAvailable() && chromiumAvailable();

// Each test starts pages on a machine the CI shares: a replica's page can take seconds to connect.
describe.runIf(run)('the chat page as a chat, in Chromium', { timeout: 45_000 }, () => {
  let redis: RedisServer;
  const replicas: ReplicaProcess[] = [];
  const chromium = useChromium();
  const { openPage, joinRoom, texts, messageBox, say } = chatPageActions(chromium);
  let rooms = 0;
  const freshRoom = () => `view-${Date.now()}-${rooms++}`;

  beforeAll(async () => {
    redis = await RedisServer.start();
    replicas.push(await startReadyReplica('node-1', redis.url), await startReadyReplica('node-2', redis.url));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.service.stop()));
    await redis?.stop();
  });

  const box = async (page: Page, selector: string) => (await page.locator(selector).boundingBox())!;
  const jumpShown = (page: Page) => page.getByRole('button', { name: 'New messages ↓' }).isVisible();
  const many = (n: number) => `message ${n}\nsecond line\nthird line\nfourth line`;

  it('puts the newest at the bottom with the composer under it, follows new messages until the reader scrolls up, then offers "new messages"', async () => {
    const room = freshRoom();
    const alice = await joinRoom(replicas[0]!, room, 'alice');
    const bob = await joinRoom(replicas[1]!, room, 'bob');
    const log = await box(alice, '#messages');
    const composer = await box(alice, '#send-form');
    expect(composer.y).toBeGreaterThanOrEqual(log.y + log.height);

    for (let n = 1; n <= 14; n++) await say(bob, many(n));
    await expect.poll(async () => (await texts(alice)).length).toBe(14);
    // The list is longer than its box, and shows its end: the newest.
    expect(await alice.locator('#messages').evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    await expect.poll(() => distanceFromEnd(alice)).toBeLessThan(2);
    const newest = await box(alice, '#messages .msg:last-child');
    expect(newest.y + newest.height).toBeLessThanOrEqual(log.y + log.height + 1);

    // Scrolled up to read: a new message moves nothing, and a button says it came.
    await alice.locator('#messages').evaluate((el) => { el.scrollTop = 0; });
    expect(await jumpShown(alice)).toBe(false);
    await say(bob, 'while alice reads back');
    await expect.poll(async () => (await texts(alice)).at(-1)).toBe('while alice reads back');
    expect(await alice.locator('#messages').evaluate((el) => el.scrollTop)).toBe(0);
    expect(await jumpShown(alice)).toBe(true);
    await alice.getByRole('button', { name: 'New messages ↓' }).click();
    await expect.poll(() => distanceFromEnd(alice)).toBeLessThan(2);
    expect(await jumpShown(alice)).toBe(false);

    // One's own message always brings the list to its end.
    await alice.locator('#messages').evaluate((el) => { el.scrollTop = 0; });
    await say(alice, 'my own');
    await expect.poll(() => distanceFromEnd(alice)).toBeLessThan(2);
  });

  it('sends with Enter, adds a line with Shift+Enter, and keeps a message\'s lines', async () => {
    const room = freshRoom();
    const alice = await joinRoom(replicas[0]!, room, 'alice');
    const bob = await joinRoom(replicas[1]!, room, 'bob');
    const input = messageBox(alice);
    await input.click();
    await input.pressSequentially('first line');
    await input.press('Shift+Enter');
    await input.pressSequentially('second line');
    expect(await input.inputValue()).toBe('first line\nsecond line');
    expect(await alice.locator('#messages .msg').count()).toBe(0);
    await input.press('Enter');
    await expect.poll(() => texts(bob)).toEqual(['first line\nsecond line']);
    expect(await input.inputValue()).toBe('');
    // Shown on two lines: the text's height is two of its line heights.
    const lines = await bob.locator('#messages .msg .text').evaluate((el) => {
      const style = getComputedStyle(el);
      return { whiteSpace: style.whiteSpace, lines: Math.round(el.getBoundingClientRect().height / parseFloat(style.lineHeight)) };
    });
    expect(lines).toEqual({ whiteSpace: 'pre-wrap', lines: 2 });
  });

  it('makes http(s) links clickable, opening apart with no referrer, and leaves javascript: as text', async () => {
    const room = freshRoom();
    const alice = await joinRoom(replicas[0]!, room, 'alice');
    const bob = await joinRoom(replicas[1]!, room, 'bob');
    const text = 'see https://example.com/a?b=1&c=2. or http://example.org, not javascript:alert(1) nor <a href="javascript:alert(2)">x</a>';
    await say(alice, text);
    await expect.poll(() => texts(bob)).toEqual([text]);
    const links = await bob.locator('#messages .msg .text a').evaluateAll((as) =>
      as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent, rel: a.getAttribute('rel'), target: a.getAttribute('target') })));
    expect(links).toEqual([
      { href: 'https://example.com/a?b=1&c=2', text: 'https://example.com/a?b=1&c=2', rel: 'noopener noreferrer', target: '_blank' },
      { href: 'http://example.org/', text: 'http://example.org', rel: 'noopener noreferrer', target: '_blank' },
    ]);
    expect(await bob.locator('a[href^="javascript:" i]').count()).toBe(0);
    expect(await bob.locator('#messages .msg .text *:not(a)').count()).toBe(0);
  });

  it('groups one member\'s messages under one name, tells joins and leaves in quiet lines, and dates each day and time', async () => {
    const room = freshRoom();
    const alice = await joinRoom(replicas[0]!, room, 'alice');
    // Two members named sam: grouping goes by member, not by name.
    const sam1 = await joinRoom(replicas[1]!, room, 'sam');
    const sam2 = await joinRoom(replicas[0]!, room, 'sam');
    await expect.poll(() => alice.locator('#messages .event').allTextContents()).toEqual(['sam joined', 'sam joined']);
    for (const text of ['a1', 'a2', 'a3']) await say(alice, text);
    await say(sam1, 's1');
    await say(sam1, 's2');
    await say(sam2, 'other sam');
    await say(alice, 'a4');
    await expect.poll(async () => (await texts(alice)).length).toBe(7);

    const entries = () => alice.locator('#messages > *').evaluateAll((els) => els.map((el) => {
      if (el.classList.contains('day')) return 'day';
      if (el.classList.contains('event')) return `event ${el.textContent}`;
      const name = (el.querySelector('.from') as HTMLElement).offsetParent ? el.querySelector('.from')!.textContent : '';
      return `${name}: ${el.querySelector('.text')!.textContent}`;
    }));
    expect(await entries()).toEqual([
      'day', 'event sam joined', 'event sam joined',
      'alice: a1', ': a2', ': a3', 'sam: s1', ': s2', 'sam: other sam', 'alice: a4',
    ]);
    const today = await alice.evaluate(() => new Date().toLocaleDateString([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }));
    expect(await alice.locator('#messages .day').allTextContents()).toEqual([today]);
    // Each time tells its full date on hover.
    const titles = await alice.locator('#messages .msg time').evaluateAll((ts) => ts.map((t) => t.getAttribute('title')));
    expect(titles).toHaveLength(7);
    for (const title of titles) expect(title).toContain(today);

    await sam2.close();
    await expect.poll(() => alice.locator('#messages .event').allTextContents()).toEqual(['sam joined', 'sam joined', 'sam left']);
    expect(await alice.locator('#messages > :last-child').textContent()).toBe('sam left');
  });

  it('keeps one\'s own messages marked "you" after a reload', async () => {
    const room = freshRoom();
    const alice = await joinRoom(replicas[0]!, room, 'alice');
    const bob = await joinRoom(replicas[1]!, room, 'bob');
    await say(alice, 'mine 1');
    await say(bob, 'from bob');
    await say(alice, 'mine 2');
    const mine = (page: Page) => page.locator('#messages .msg.mine .text').allTextContents();
    expect(await mine(alice)).toEqual(['mine 1', 'mine 2']);

    await alice.reload();
    await expect.poll(() => alice.getByRole('status').textContent()).toBe('connected · node-1');
    await expect.poll(() => texts(alice)).toEqual(['mine 1', 'from bob', 'mine 2']);
    expect(await mine(alice)).toEqual(['mine 1', 'mine 2']);
    expect(await alice.locator('#messages .msg.mine .you').allTextContents()).toEqual(['you', 'you']);
    // Another browser (its own storage) with the same name is not them.
    const other = await joinRoom(replicas[1]!, room, 'alice');
    await expect.poll(() => texts(other)).toEqual(['mine 1', 'from bob', 'mine 2']);
    expect(await mine(other)).toEqual([]);
  });

  it('offers the newest-on-top view, composer above, and remembers the choice', async () => {
    const room = freshRoom();
    const alice = await joinRoom(replicas[0]!, room, 'alice');
    const bob = await joinRoom(replicas[1]!, room, 'bob');
    for (const text of ['one', 'two', 'three']) await say(bob, text);
    await expect.poll(async () => (await texts(alice)).length).toBe(3);
    const onScreen = async (page: Page) => {
      const rows = await page.locator('#messages .msg .text').evaluateAll((els) => els.map((el) => [el.getBoundingClientRect().top, el.textContent!] as const));
      return rows.sort((a, b) => a[0] - b[0]).map(([, text]) => text);
    };
    expect(await onScreen(alice)).toEqual(['one', 'two', 'three']);

    await alice.getByRole('checkbox', { name: 'Newest on top' }).check();
    expect(await onScreen(alice)).toEqual(['three', 'two', 'one']);
    expect((await box(alice, '#send-form')).y).toBeLessThan((await box(alice, '#messages')).y);
    await say(bob, 'four');
    await expect.poll(() => onScreen(alice)).toEqual(['four', 'three', 'two', 'one']);

    await alice.reload();
    await expect.poll(() => alice.getByRole('status').textContent()).toBe('connected · node-1');
    await expect.poll(() => onScreen(alice)).toEqual(['four', 'three', 'two', 'one']);
    expect(await alice.getByRole('checkbox', { name: 'Newest on top' }).isChecked()).toBe(true);
    await alice.getByRole('checkbox', { name: 'Newest on top' }).uncheck();
    expect(await onScreen(alice)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('shows the room, and while the tab is hidden the count of unread messages, in the tab title', async () => {
    const room = freshRoom();
    const alice = await joinRoom(replicas[0]!, room, 'alice');
    const bob = await joinRoom(replicas[1]!, room, 'bob');
    expect(await alice.title()).toBe(`${room} · Chat`);
    await say(bob, 'seen');
    await expect.poll(() => texts(alice)).toEqual(['seen']);
    expect(await alice.title()).toBe(`${room} · Chat`);

    await setVisibility(alice, 'hidden');
    await say(bob, 'unseen 1');
    await say(bob, 'unseen 2');
    await expect.poll(() => alice.title()).toBe(`(2) ${room} · Chat`);
    await setVisibility(alice, 'visible');
    expect(await alice.title()).toBe(`${room} · Chat`);
  });

  it.each([375, 1280])('lays a lively room out %i px wide (screenshot kept), the phone\'s header folded and its members in a panel', async (width) => {
    const room = freshRoom();
    const alice = await joinRoom(replicas[0]!, room, 'alice', width);
    const bob = await joinRoom(replicas[1]!, room, 'bob', width);
    await say(bob, 'Hi! The notes are at https://example.com/notes');
    await say(bob, 'Two lines:\nthe second');
    await say(alice, 'Thanks, reading now');
    await expect.poll(async () => (await texts(alice)).length).toBe(3);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await alice.screenshot({ path: `${SCREENSHOTS}chat-${width}.png` });
    const header = await box(alice, 'header.top');
    const memberList = alice.locator('#members');
    if (width < 760) {
      // Connected on a phone: the form folds into a header with the room's name.
      expect(await alice.getByRole('textbox', { name: 'Room', exact: true }).isVisible()).toBe(false);
      expect(await alice.locator('#room-title').textContent()).toBe(room);
      expect(header.height).toBeLessThan(110);
      expect(await memberList.isVisible()).toBe(false);
      await alice.getByRole('button', { name: /^Members \(2\)$/ }).click();
      expect(await memberList.isVisible()).toBe(true);
      expect(await alice.locator('#members li').allTextContents()).toEqual(expect.arrayContaining(['alice you', 'bob']));
      await alice.screenshot({ path: `${SCREENSHOTS}chat-${width}-members.png` });
      await alice.getByRole('button', { name: 'Close', exact: true }).click();
      expect(await memberList.isVisible()).toBe(false);
    } else {
      expect(await alice.getByRole('textbox', { name: 'Room', exact: true }).isVisible()).toBe(true);
      expect(await memberList.isVisible()).toBe(true);
    }
    // The composer is on screen and at the bottom of the window.
    const composer = await box(alice, '#send-form');
    expect(composer.y + composer.height).toBeLessThanOrEqual(800);
    expect(composer.y + composer.height).toBeGreaterThan(800 - 40);
  });
});
