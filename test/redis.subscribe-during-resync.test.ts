import { afterEach, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import type { RoomEvent } from '../src/broker/broker.ts';
import { RedisServer, redisAvailable, redisWithUser } from './support/redis-server.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { eventually } from './support/eventually.ts';
import { quietLog } from './support/room-world.ts';

const from = { id: 'c_x', name: 'x' };
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

it.runIf(redisAvailable())(
  'a room whose subscribe is still reading the log’s end when the subscriber reconnects gets nothing published before it subscribed',
  async () => {
    const redis = await RedisServer.start();
    opened.push({ close: () => redis.stop() });
    const proxy = await TcpProxy.start(redis.port);
    opened.push(proxy);
    // a reaches Redis through the proxy, which can slow its command replies and cut its subscriber.
    const a = new RedisBroker({ url: `redis://127.0.0.1:${proxy.port}`, instance: 'a', historySize: 1000, log: quietLog });
    const b = new RedisBroker({ url: redis.url, instance: 'b', historySize: 1000, log: quietLog });
    opened.push(a, b);
    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true), 10_000);
    for (let i = 0; i < 5; i++) await b.publish({ room: 'late', from, text: `old ${i}` });

    const events: RoomEvent[] = [];
    const texts = () => events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? e.message.text : ''));
    // The log's end (XREVRANGE) answers a second late; the subscriber drops and comes back meanwhile.
    proxy.commandReplyDelayMs = 1000;
    const subscribed = a.subscribe('late', (e) => events.push(e));
    await eventually(() => expect(proxy.subscriberCount()).toBe(1));
    await new Promise((r) => setTimeout(r, 100));
    expect(proxy.cutSubscribers()).toBe(1);
    await subscribed.catch(() => {});
    proxy.commandReplyDelayMs = 0;
    await eventually(() => expect(a.isReady()).toBe(true), 10_000);
    await b.publish({ room: 'late', from, text: 'new' });
    await eventually(() => expect(texts()).toContain('new'), 10_000);
    // Subscribed after `old 0..4`: they belong to the room's history, not to what happens in it now.
    expect(texts()).toEqual(['new']);
  },
  30_000,
);

it.runIf(redisAvailable())(
  'a room subscribed while another room’s gap read keeps failing is not told of a presence gap it never had',
  async () => {
    const { redis, admin, userUrl } = await redisWithUser('gapless', 'gapless-Secret-19c4', (o) => opened.push(o));
    const a = new RedisBroker({ url: userUrl, instance: 'a', historySize: 1000, log: quietLog });
    const b = new RedisBroker({ url: redis.url, instance: 'b', historySize: 1000, log: quietLog });
    opened.push(a, b);
    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true), 10_000);
    await a.subscribe('stuck', () => {});
    await b.publish({ room: 'stuck', from, text: 'seen' });

    // a's subscriber reconnects; its gap read (XRANGE) is refused, so its resync retries every 250 ms.
    await admin.call('ACL', 'SETUSER', 'gapless', '-xrange');
    await admin.call('CLIENT', 'KILL', 'USER', 'gapless', 'TYPE', 'pubsub');
    const subscribers = async (room: string) => ((await admin.pubsub('NUMSUB', `chat:{${room}}`)) as [string, number])[1];
    await eventually(async () => expect(await subscribers('stuck')).toBe(1), 10_000);

    // A room subscribed now (SUBSCRIBE and XREVRANGE are allowed) starts on this very connection: no gap.
    const events: RoomEvent[] = [];
    await a.subscribe('fresh', (e) => events.push(e));
    await new Promise((r) => setTimeout(r, 1000));
    expect(events.filter((e) => e.type === 'presence-gap')).toEqual([]);
  },
  30_000,
);
