import { afterEach, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import type { RoomEvent } from '../src/broker/broker.ts';
import { redisAvailable, redisWithUser } from './support/redis-server.ts';
import { eventually } from './support/eventually.ts';
import { quietLog } from './support/room-world.ts';

const from = { id: 'c_x', name: 'x' };
const PASSWORD = 'trim-Secret-81ac';
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

it.runIf(redisAvailable())(
  'resets a room whose log was trimmed past the last message delivered here while its subscriber was away, then delivers live again',
  async () => {
    // Broker a runs as its own user, so the test can keep its subscriber out (SUBSCRIBE refused) while b publishes.
    const { redis, admin, userUrl } = await redisWithUser('trim', PASSWORD, (o) => opened.push(o));
    const make = (url: string, instance: string) => {
      const b = new RedisBroker({ url, instance, historySize: 50, log: quietLog });
      opened.push(b);
      return b;
    };
    const a = make(userUrl, 'trim-a');
    const b = make(redis.url, 'trim-b');
    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true));
    const events: RoomEvent[] = [];
    const kinds = () => events.filter((e) => e.type !== 'presence-gap').map((e) => (e.type === 'message' ? e.message.text : e.type));
    await a.subscribe('busy', (e) => events.push(e));
    await b.publish({ room: 'busy', from, text: 'seen' });
    await eventually(() => expect(kinds()).toEqual(['seen']));

    await admin.call('ACL', 'SETUSER', 'trim', '-subscribe');
    await admin.call('CLIENT', 'KILL', 'USER', 'trim', 'TYPE', 'pubsub');
    const subscribers = async () => ((await admin.pubsub('NUMSUB', 'chat:{busy}')) as [string, number])[1];
    await eventually(async () => expect(await subscribers()).toBe(0));
    // A log of 50 is trimmed in whole nodes of 100: 300 more push `seen` out.
    for (let i = 0; i < 300; i++) await b.publish({ room: 'busy', from, text: `missed ${i}` });
    const [oldest] = await admin.xrange('chat:{busy}:log', '-', '+', 'COUNT', 1);
    expect(oldest![1][1]).toContain('"missed ');

    await admin.call('ACL', 'SETUSER', 'trim', '+subscribe');
    await eventually(() => expect(kinds()).toEqual(['seen', 'reset']), 10_000);
    expect(events.find((e) => e.type === 'reset')).toEqual({ type: 'reset', reason: expect.stringMatching(/no longer holds the last message/) });
    await b.publish({ room: 'busy', from, text: 'live' });
    await eventually(() => expect(kinds()).toEqual(['seen', 'reset', 'live']));
  },
  30_000,
);
