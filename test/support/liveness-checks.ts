import { expect } from 'vitest';
import WebSocket from 'ws';
import { TestClient } from './test-client.ts';

/** The short settings the liveness tests run with, on every runtime. */
export const PING_INTERVAL_MS = 200;
export const IDLE_TIMEOUT_MS = 1000;
export const LIVENESS_ENV = { PING_INTERVAL_MS: String(PING_INTERVAL_MS), IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) };

/**
 * A member whose client never answers a ping (and sends nothing) is dropped,
 * and the `leave` reaches a member that stays, within IDLE_TIMEOUT_MS + 2 s.
 */
export async function silentMemberIsDropped(url: string): Promise<void> {
  const { client: watcher } = await TestClient.join(url);
  try {
    const silent = await TestClient.connect(url, { autoPong: false });
    try {
      const { you } = await silent.next('welcome');
      await watcher.next('join', (f) => f.member.id === you.id);
      await watcher.next('leave', (f) => f.member.id === you.id, IDLE_TIMEOUT_MS + 2000);
      // The leave can overtake the silent client's own close; it follows within moments.
      const closed = await Promise.race([silent.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 2000))]);
      expect(closed).not.toBe('still open');
    } finally {
      silent.close();
    }
  } finally {
    watcher.close();
  }
}

/** A member whose client answers pings but sends no data stays, for three idle timeouts. */
export async function quietMemberStays(url: string): Promise<void> {
  const { client: quiet } = await TestClient.join(url);
  try {
    await new Promise((resolve) => setTimeout(resolve, 3 * IDLE_TIMEOUT_MS));
    expect(quiet.ws.readyState).toBe(WebSocket.OPEN);
    quiet.send({ type: 'ping' });
    await quiet.next('pong');
  } finally {
    quiet.close();
  }
}
