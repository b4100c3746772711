import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useChromium } from './support/browser.ts';
import { chatPageActions } from './support/browser-chat.ts';
import { redisAvailable } from './support/redis-server.ts';
import { useRedisAndTwoReplicas, waitReady } from './support/replica-processes.ts';

/**
 * What the page says when the server will not have it, and what becomes of a
 * message the server turned away for its pace: in Debian's Chromium against
 * replica processes on a redis-server of the test's own.
 */
const run = redisAvailable() && chromiumAvailable();

/** The `error` frames the page's sockets received, by code. */
function errorCodes(page: Page): string[] {
  const codes: string[] = [];
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
    try {
      const frame = JSON.parse(String(payload));
      if (frame?.type === 'error') codes.push(frame.code);
    } catch {
      // Not JSON: not a frame this test counts.
    }
  }));
  return codes;
}

describe.runIf(run)('the page when its replica refuses (broker down), in Chromium', { timeout: 45_000 }, () => {
  const servers = useRedisAndTwoReplicas((redis) => ({ REDIS_URL: redis.url }));
  const chromium = useChromium();
  const { openPage, status } = chatPageActions(chromium);

  it('says in words why it cannot join: the 503 refusal\'s reason, while it keeps retrying', async () => {
    await servers.redis.kill();
    await waitReady(servers.replica, 503);
    const page = await openPage(servers.replica, `?room=down-${Date.now()}&name=alice`);
    await expect.poll(() => status(page), { timeout: 20_000 })
      .toMatch(/^reconnecting: Server busy \(the message broker is unreachable\), retrying in \d+ s$/);
    expect(await page.getByRole('button', { name: 'Disconnect', exact: true }).isEnabled()).toBe(true);
  });
});

describe.runIf(run)('the page on a rate-limited replica, in Chromium', { timeout: 45_000 }, () => {
  // node-2 takes 1 message a second from each member (bursts of 2).
  const servers = useRedisAndTwoReplicas((redis) => ({ REDIS_URL: redis.url, RATE_LIMIT: '1' }));
  const chromium = useChromium();
  const { openPage, joinRoom, status, texts, messageBox } = chatPageActions(chromium);

  it('sends again what the server rate-limited, and each message arrives once, in order, none failed', async () => {
    const room = `paced-${Date.now()}`;
    const bob = await joinRoom(servers.replica, room, 'bob');
    const alice = await openPage(servers.second, `?room=${room}&name=alice`);
    const errors = errorCodes(alice);
    await expect.poll(() => status(alice)).toBe('connected · node-2');
    const said = ['one', 'two', 'three', 'four', 'five'];
    for (const text of said) {
      await messageBox(alice).fill(text);
      await messageBox(alice).press('Enter');
    }
    await expect.poll(() => texts(bob), { timeout: 20_000 }).toEqual(said);
    await expect.poll(() => alice.locator('#messages .msg.pending').count(), { timeout: 10_000 }).toBe(0);
    // The server did turn some away: the page's messages came through its retries.
    expect(errors.filter((code) => code === 'rate_limited').length).toBeGreaterThan(0);
    expect(await texts(alice)).toEqual(said);
    expect(await alice.locator('#messages .msg.mine').count()).toBe(5);
    expect(await alice.locator('#messages .msg.failed').count()).toBe(0);
    await alice.waitForTimeout(1500);
    expect(await texts(bob)).toEqual(said);
  });

  it('offers "retry" for messages that waited longer than the server remembers their ref, and retry delivers each once', async () => {
    const room = `retry-${Date.now()}`;
    const bob = await joinRoom(servers.replica, room, 'bob');
    const context = await chromium.newContext({ viewport: { width: 1280, height: 800 } });
    // The page's own clock, so that ten minutes can pass in a moment.
    await context.clock.install();
    // The person presses Disconnect once the server answered all five (two acks, the rest
    // turned away for their pace), before the library sends those again 1 s later: what
    // waits then was never published.
    await context.addInitScript(() => {
      let answered = 0;
      let limited = 0;
      const Native = window.WebSocket;
      window.WebSocket = class extends Native {
        override set onmessage(fn: ((ev: MessageEvent) => void) | null) {
          super.onmessage = fn && ((ev: MessageEvent) => {
            fn.call(this, ev);
            const data = String(ev.data);
            if (data.includes('"type":"ack"')) answered++;
            if (data.includes('"rate_limited"')) answered++, limited++;
            if (answered !== 5 || limited === 0) return;
            answered++;
            document.getElementById('disconnect')!.click();
          });
        }
        override get onmessage() {
          return super.onmessage;
        }
      };
    });
    const alice = await openPage(servers.second, `?room=${room}&name=alice`, 1280, context);
    await expect.poll(() => status(alice)).toBe('connected · node-2');
    // Five at once, faster than anyone types: the server takes two and turns the rest away.
    const said = ['one', 'two', 'three', 'four', 'five'];
    await alice.evaluate((texts) => {
      const box = document.getElementById('message') as HTMLTextAreaElement;
      for (const text of texts) {
        box.value = text;
        (document.getElementById('send-form') as HTMLFormElement).requestSubmit();
      }
    }, said);
    await expect.poll(() => status(alice)).toBe('disconnected');
    const waiting = await alice.locator('#messages .msg.pending').count();
    expect(waiting).toBeGreaterThan(0);

    await alice.clock.fastForward('10:00');
    await alice.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect.poll(() => status(alice)).toBe('connected · node-2');
    const retries = alice.getByRole('button', { name: 'retry', exact: true });
    await expect.poll(() => retries.count()).toBe(waiting);
    expect(await alice.locator('#messages .msg.failed .state').allTextContents()).toEqual(Array(waiting).fill('not sent'));

    while ((await retries.count()) > 0) {
      const before = await retries.count();
      await retries.first().click();
      await expect.poll(() => alice.locator('#messages .msg.failed').count(), { timeout: 10_000 }).toBe(before - 1);
    }
    await expect.poll(() => alice.locator('#messages .msg.pending').count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(async () => [...(await texts(bob))].sort(), { timeout: 15_000 }).toEqual([...said].sort());
    await bob.waitForTimeout(1500);
    expect([...(await texts(bob))].sort()).toEqual([...said].sort());
  });
});
