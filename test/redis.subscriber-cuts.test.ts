import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import type { RoomEvent } from '../src/broker/broker.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { eventually } from './support/eventually.ts';
import { quietLog } from './support/room-world.ts';

const from = { id: 'c_x', name: 'x' };
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What is wrong with what a listener got, against the room's whole log: ids
 * out of order or twice, or a message skipped with no reset before the next.
 */
function problems(room: string, events: RoomEvent[], log: string[]): string[] {
  const found: string[] = [];
  const position = new Map(log.map((id, i) => [id, i]));
  let last = -1;
  let resetSince = true;
  for (const e of events) {
    if (e.type === 'reset') resetSince = true;
    if (e.type !== 'message') continue;
    const at = position.get(e.message.id);
    if (at === undefined) found.push(`${room}: ${e.message.id} not in the log`);
    else if (at <= last) found.push(`${room}: ${e.message.id} (#${at}) after #${last}: twice or out of order`);
    else if (at !== last + 1 && !resetSince) found.push(`${room}: #${last + 1}..#${at - 1} skipped with no reset (${events.filter((x) => x.type === 'reset').map((x) => JSON.stringify(x)).join(', ')}; at event ${events.indexOf(e)} of ${events.length}, resets at ${events.flatMap((x, i) => (x.type === 'reset' ? [i] : [])).join(',')})`);
    if (at !== undefined && at > last) last = at;
    resetSince = false;
  }
  return found;
}

it.runIf(redisAvailable())(
  'keeps each room’s one order, nothing skipped without a reset, across repeated cuts of the subscriber while gap reads are slow',
  async () => {
    const redis = await RedisServer.start();
    opened.push({ close: () => redis.stop() });
    const proxy = await TcpProxy.start(redis.port);
    opened.push(proxy);
    const admin = new Redis(redis.url);
    opened.push({ close: async () => admin.disconnect() });
    const said = new Map<string, number>();
    const count = (_: unknown, msg?: string) => void (msg && said.set(msg, (said.get(msg) ?? 0) + 1));
    const log = { info: count, warn: count, error: count };
    const a = new RedisBroker({ url: `redis://127.0.0.1:${proxy.port}`, instance: 'a', historySize: 100_000, log });
    const b = new RedisBroker({ url: redis.url, instance: 'b', historySize: 100_000, log: quietLog });
    opened.push(a, b);
    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true), 10_000);
    const rooms = Array.from({ length: 8 }, (_, i) => `cut${i}`);
    const events = new Map<string, RoomEvent[]>(rooms.map((r) => [r, []]));
    for (const r of rooms) await a.subscribe(r, (e) => events.get(r)!.push(e));

    let publishing = true;
    const publishers = rooms.map(async (room) => {
      for (let i = 0; publishing; i++) {
        await b.publish({ room, from, text: `${room} ${i}` });
        await sleep(Math.random() * 4);
      }
    });
    const cuts = 30;
    for (let k = 0; k < cuts; k++) {
      await sleep(50 + Math.random() * 350);
      proxy.commandReplyDelayMs = Math.random() < 0.5 ? 0 : Math.random() * 400;
      proxy.cutSubscribers();
    }
    proxy.commandReplyDelayMs = 0;
    publishing = false;
    await Promise.all(publishers);
    await eventually(() => expect(a.isReady()).toBe(true), 10_000);
    for (const room of rooms) await b.publish({ room, from, text: 'final' });
    const lastText = (room: string) => events.get(room)!.filter((e) => e.type === 'message').at(-1);
    await eventually(() => {
      for (const room of rooms) expect(lastText(room)).toMatchObject({ message: { text: 'final' } });
    }, 20_000);

    const found: string[] = [];
    let resets = 0;
    let delivered = 0;
    for (const room of rooms) {
      const log = (await admin.xrange(`chat:{${room}}:log`, '-', '+')).map(([id]) => id);
      const got = events.get(room)!;
      resets += got.filter((e) => e.type === 'reset').length;
      delivered += got.filter((e) => e.type === 'message').length;
      found.push(...problems(room, got, log));
    }
    console.log(`subscriber cuts: ${cuts} cuts, ${delivered} messages delivered, ${resets} resets, ${found.length} problems`, Object.fromEntries(said));
    expect(found).toEqual([]);
  },
  120_000,
);
