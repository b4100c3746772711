import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useChromium } from './support/browser.ts';
import { redisAvailable } from './support/redis-server.ts';
import { useRedisAndTwoReplicas } from './support/replica-processes.ts';
import { TestClient } from './support/test-client.ts';

/**
 * The page's Disconnect while a message is still sending: the next Connect
 * sends it again with its ref, so it is delivered once and shown once, as the
 * user's own (not "not sent").
 */
const run = redisAvailable() && chromiumAvailable();

describe.runIf(run)('the chat page: Disconnect while sending, then Connect', () => {
  // The second replica, on the same Redis, has no rate limit: the writers fill the room fast.
  const servers = useRedisAndTwoReplicas((redis) => ({ REDIS_URL: redis.url, RATE_LIMIT: '0' }));
  const chromium = useChromium();

  async function joinRoom(room: string, name: string): Promise<Page> {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await page.goto(`${servers.replica.httpUrl('/')}?room=${room}&name=${name}`);
    await expect.poll(() => page.getByRole('status').textContent()).toBe(`connected · ${servers.replica.name}`);
    return page;
  }

  const texts = (page: Page) => page.locator('#messages .msg .text').allTextContents();

  it('a message sent right before Disconnect is delivered once after Connect and shown once as the user’s own', async () => {
    const room = `disc-${Date.now()}`;
    const alice = await joinRoom(room, 'alice');
    const bob = await joinRoom(room, 'bob');

    // Send and press Disconnect in one go: the ack cannot come before the socket closes.
    await alice.getByRole('textbox', { name: 'Message', exact: true }).fill('said while leaving');
    await alice.evaluate(() => {
      (document.getElementById('send-form') as HTMLFormElement).requestSubmit();
      (document.getElementById('disconnect') as HTMLButtonElement).click();
    });
    await expect.poll(() => alice.getByRole('status').textContent()).toBe('disconnected');
    expect(await alice.locator('#messages .msg.failed').count()).toBe(0);

    await alice.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect.poll(() => alice.getByRole('status').textContent()).toBe(`connected · ${servers.replica.name}`);
    await expect.poll(() => alice.locator('#messages .msg.pending').count()).toBe(0);
    await alice.waitForTimeout(500);
    expect(await texts(alice)).toEqual(['said while leaving']);
    expect(await alice.locator('#messages .msg.mine').count()).toBe(1);
    expect(await alice.locator('#messages .msg.failed').count()).toBe(0);

    await expect.poll(() => texts(bob)).toEqual(['said while leaving']);
    await bob.waitForTimeout(300);
    expect(await texts(bob)).toEqual(['said while leaving']);

    await alice.context().close();
    await bob.context().close();
  }, 60_000);

  it('keeps loaded history: past 500 messages after "Load older", a live message trims none of them', async () => {
    const room = `many-${Date.now()}`;
    const label = (n: number) => `m-${String(n).padStart(3, '0')}`;
    // Under 100 frames on each connection (the frame limit is per connection, per second).
    for (let i = 1; i <= 540; ) {
      const { client } = await TestClient.join(servers.second.wsUrl(room, { name: `writer-${i}` }));
      try {
        for (const end = Math.min(540, i + 89); i <= end; i++) await client.say(label(i));
      } finally {
        client.close();
      }
    }
    const { client: writer } = await TestClient.join(servers.second.wsUrl(room, { name: 'writer' }));
    try {
      const page = await joinRoom(room, 'reader');
      const older = page.getByRole('button', { name: 'Load older messages', exact: true });
      await expect.poll(async () => (await texts(page)).length).toBe(50);
      for (let presses = 0; (await older.count()) > 0 && (await older.isVisible()); presses++) {
        if (presses > 12) throw new Error('still "Load older messages" after 12 presses');
        const before = (await texts(page)).length;
        await older.click();
        await expect.poll(async () => (await texts(page)).length).toBeGreaterThan(before);
        await expect.poll(() => page.locator('#older:disabled').count()).toBe(0);
      }
      expect(await texts(page)).toHaveLength(540);
      await writer.say('live');
      await expect.poll(async () => (await texts(page)).at(-1)).toBe('live');
      const shown = await texts(page);
      expect(shown).toHaveLength(541);
      expect(shown[0]).toBe(label(1));
      await page.context().close();
    } finally {
      writer.close();
    }
  }, 90_000);
});
