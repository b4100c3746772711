import { afterEach, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import type { RoomEvent } from '../src/broker/broker.ts';
import { redisAvailable, redisWithUser } from './support/redis-server.ts';
import { eventually } from './support/eventually.ts';
import { quietLog } from './support/room-world.ts';

const from = { id: 'c_x', name: 'x' };
const PASSWORD = 'held-Secret-5d1c';
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

it.runIf(redisAvailable())(
  'resets a room whose held events pass the bound while its gap cannot be read, then delivers live events again',
  async () => {
    // Broker a runs as its own user, so the test can refuse it the gap read (XRANGE) alone.
    const { redis, admin, userUrl } = await redisWithUser('held', PASSWORD, (o) => opened.push(o));
    const make = (url: string, instance: string) => {
      const b = new RedisBroker({ url, instance, historySize: 1000, log: quietLog, maxHeldEvents: 5 });
      opened.push(b);
      return b;
    };
    const a = make(userUrl, 'held-a');
    const b = make(redis.url, 'held-b');
    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true));
    const events: RoomEvent[] = [];
    // Each reconnect also says presence may have a gap (once): counted apart, at the end.
    const texts = () => events.filter((e) => e.type !== 'presence-gap').map((e) => (e.type === 'message' ? e.message.text : e.type));
    await a.subscribe('flood', (e) => events.push(e));
    await b.publish({ room: 'flood', from, text: 'before' });
    await eventually(() => expect(texts()).toEqual(['before']));

    // The subscriber reconnects; the gap read that must come first keeps failing, so live events are held.
    await admin.call('ACL', 'SETUSER', 'held', '-xrange');
    await admin.call('CLIENT', 'KILL', 'USER', 'held', 'TYPE', 'pubsub');
    const subscribers = async () => ((await admin.pubsub('NUMSUB', 'chat:{flood}')) as [string, number])[1];
    await eventually(async () => expect(await subscribers()).toBe(1), 10_000);
    for (let i = 0; i < 5; i++) await b.publish({ room: 'flood', from, text: `held ${i}` });
    expect(texts()).toEqual(['before']);

    await b.publish({ room: 'flood', from, text: 'one too many' });
    await eventually(() => expect(texts()).toEqual(['before', 'reset']));
    expect(events.find((e) => e.type === 'reset')).toEqual({ type: 'reset', reason: expect.any(String) });

    // Live again, from after the last event dropped: nothing dropped comes back, even once the gap can be read.
    await admin.call('ACL', 'SETUSER', 'held', '+xrange');
    await b.publish({ room: 'flood', from, text: 'after' });
    await eventually(() => expect(texts()).toEqual(['before', 'reset', 'after']));
    await admin.call('CLIENT', 'KILL', 'USER', 'held', 'TYPE', 'pubsub');
    await b.publish({ room: 'flood', from, text: 'after a clean reconnect' });
    await eventually(() => expect(texts()).toEqual(['before', 'reset', 'after', 'after a clean reconnect']), 10_000);
    expect(events.filter((e) => e.type === 'presence-gap')).toHaveLength(2);
  },
  30_000,
);
