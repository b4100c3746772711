import { afterEach, expect, it } from 'vitest';
import { RedisBroker } from '../src/broker/redis.ts';
import type { RoomEvent } from '../src/broker/broker.ts';
import { redisAvailable, redisWithUser } from './support/redis-server.ts';
import { eventually } from './support/eventually.ts';
import { quietLog } from './support/room-world.ts';

const from = { id: 'c_x', name: 'x' };
const PASSWORD = 'lagging-Secret-7a21';
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

it.runIf(redisAvailable())(
  'after a reset for a log that lost the last message delivered here, delivers every message published after it (none taken for a copy of a lost one)',
  async () => {
    // b runs as its own user, so the test can keep its subscriber out: it lags two messages behind.
    const { redis, admin, userUrl } = await redisWithUser('lagging', PASSWORD, (o) => opened.push(o));
    const a = new RedisBroker({ url: redis.url, instance: 'a', historySize: 1000, log: quietLog });
    const b = new RedisBroker({ url: userUrl, instance: 'b', historySize: 1000, log: quietLog });
    opened.push(a, b);
    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true));
    const events: RoomEvent[] = [];
    const kinds = () => events.filter((e) => e.type !== 'presence-gap').map((e) => (e.type === 'message' ? e.message.text : e.type));
    await a.subscribe('behind', (e) => events.push(e));
    const seenByB: string[] = [];
    await b.subscribe('behind', (e) => e.type === 'message' && seenByB.push(e.message.id));
    // As if the log had been written while Redis's clock ran a minute ahead.
    await admin.xadd('chat:{behind}:log', `${Date.now() + 60_000}-0`, 'm', JSON.stringify({ from, text: 'old' }));
    const one = await a.publish({ room: 'behind', from, text: 'one' });
    await eventually(() => expect(seenByB).toEqual([one.id]));

    await admin.call('ACL', 'SETUSER', 'lagging', '-subscribe');
    await admin.call('CLIENT', 'KILL', 'USER', 'lagging', 'TYPE', 'pubsub');
    await a.publish({ room: 'behind', from, text: 'two' });
    await a.publish({ room: 'behind', from, text: 'three' });
    await eventually(() => expect(kinds()).toEqual(['one', 'two', 'three']));

    // Redis loses its data; b, two behind, publishes first, with ids at or below `three`'s.
    await admin.flushall();
    await eventually(() => expect(b.isReady()).toBe(true));
    await b.publish({ room: 'behind', from, text: 'x' });
    await admin.call('CLIENT', 'KILL', 'USER', 'default', 'TYPE', 'pubsub');
    await eventually(() => expect(kinds()).toEqual(['one', 'two', 'three', 'reset']), 10_000);

    // After the reset, a's members come back with `since` and read the log; what is published from now on comes live.
    await eventually(() => expect(a.isReady() && b.isReady()).toBe(true), 10_000);
    for (const text of ['y', 'z']) await b.publish({ room: 'behind', from, text });
    await eventually(() => expect(kinds()).toContain('z'), 10_000);
    expect(kinds()).toEqual(['one', 'two', 'three', 'reset', 'y', 'z']);
  },
  30_000,
);
