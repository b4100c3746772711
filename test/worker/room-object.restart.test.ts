import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { compareIdText } from '../../src/protocol/index.ts';
import { WorkerClient } from './worker-client.ts';

function roomObject(room: string) {
  return env.ROOMS.get(env.ROOMS.idFromName(room));
}

describe('a room object that restarts', () => {
  it('keeps its history in SQLite and continues its ids after an eviction that closes its sockets', async () => {
    const { client: alice } = await WorkerClient.join('restart-1', 'name=alice');
    const acks = [];
    for (let i = 0; i < 3; i++) acks.push(await alice.say(`before ${i}`, `b${i}`));

    await evictDurableObject(roomObject('restart-1'), { webSockets: 'close' });

    const { welcome, backlog, client: bob } = await WorkerClient.join('restart-1', `name=bob&since=${acks[0].id}`);
    expect(welcome.recovered).toBe(true);
    expect(backlog.map((m) => m.text)).toEqual(['before 1', 'before 2']);
    const after = await bob.say('after', 'a0');
    expect(compareIdText(after.id, acks[2].id)).toBeGreaterThan(0);
    // The ref table survived too: a re-sent ref from before the restart is not published again.
    const again = await bob.say('before 0, re-sent', 'b0');
    expect(again.id).toBe(acks[0].id);
    const rows = await runInDurableObject(roomObject('restart-1'), (_instance, state) =>
      state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM messages').one(),
    );
    expect(rows.n).toBe(4);
  });

  it('wakes from hibernation with its members still connected, and they chat on', async () => {
    const { client: alice, welcome: aliceWelcome } = await WorkerClient.join('hibernate-1', 'name=alice');
    const { client: bob, welcome: bobWelcome } = await WorkerClient.join('hibernate-1', 'name=bob');
    await alice.next('join', (f) => f.member.name === 'bob');
    const first = await alice.say('before', 'h0');

    await evictDurableObject(roomObject('hibernate-1'));

    // The first frame wakes the object, which finds both members in their sockets' attachments.
    const second = await alice.say('after the nap', 'h1');
    expect(compareIdText(second.id, first.id)).toBeGreaterThan(0);
    const delivered = await bob.next('message', (m) => m.text === 'after the nap');
    expect(delivered.from).toEqual(aliceWelcome.you);

    const { welcome: carolWelcome } = await WorkerClient.join('hibernate-1', 'name=carol');
    expect(carolWelcome.members.map((m: any) => m.name).sort()).toEqual(['alice', 'bob', 'carol']);
    bob.close();
    const left = await alice.next('leave');
    expect(left.member).toEqual(bobWelcome.you);
  });

  it('announces the leave of a member whose close is what wakes the object', async () => {
    const { client: alice } = await WorkerClient.join('hibernate-2', 'name=alice');
    const { client: bob, welcome: bobWelcome } = await WorkerClient.join('hibernate-2', 'name=bob');
    await alice.next('join');

    await evictDurableObject(roomObject('hibernate-2'));
    bob.close();

    expect((await alice.next('leave')).member).toEqual(bobWelcome.you);
    expect(await bob.closed).toBe(1000);
    const { welcome } = await WorkerClient.join('hibernate-2', 'name=carol');
    expect(welcome.members.map((m: any) => m.name).sort()).toEqual(['alice', 'carol']);
  });
});
