import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MemberInfo } from '../src/protocol/index.ts';
import { Roster } from '../src/room/roster.ts';

const member = (i: number): MemberInfo => ({ id: `c_${i}`, name: `m${i}` });

/** A load the test answers when it chooses: what the broker would list at the moment of its read. */
function controlledLoad() {
  const reads: Array<(members: MemberInfo[]) => void> = [];
  return {
    load: () => new Promise<MemberInfo[]>((resolve) => reads.push(resolve)),
    answer: (members: MemberInfo[]) => reads.shift()!(members),
    get pending() {
      return reads.length;
    },
  };
}

const ids = (members: ReadonlyMap<string, MemberInfo>) => [...members.keys()].sort();

describe('Roster', () => {
  it('replays the events that came while the list was read, over the list, whatever the read saw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ join: fc.boolean(), who: fc.integer({ min: 0, max: 9 }) }), { maxLength: 40 }),
        fc.nat(),
        async (changes, readAtSeed) => {
          // The broker's truth after each change; the read sees it at some point after the load began.
          const truth = new Map<string, MemberInfo>();
          const roster = new Roster();
          const { load, answer } = controlledLoad();
          const reading = roster.read(load);
          const readAt = changes.length === 0 ? 0 : readAtSeed % (changes.length + 1);
          let seen: MemberInfo[] = [...truth.values()];
          changes.forEach((change, i) => {
            if (i === readAt) seen = [...truth.values()];
            const who = member(change.who);
            if (change.join) truth.set(who.id, who);
            else truth.delete(who.id);
            roster.apply({ type: change.join ? 'join' : 'leave', member: who });
          });
          if (readAt === changes.length) seen = [...truth.values()];
          answer(seen);
          expect(ids(await reading)).toEqual(ids(truth));
        },
      ),
    );
  });

  it('keeps following events once read', async () => {
    const roster = new Roster();
    const { load, answer } = controlledLoad();
    const reading = roster.read(load);
    answer([member(1), member(2)]);
    const members = await reading;
    roster.apply({ type: 'join', member: member(3) });
    roster.apply({ type: 'leave', member: member(1) });
    expect(ids(await roster.read(load))).toEqual(['c_2', 'c_3']);
    expect([...members.values()].map((m) => m.name)).toEqual(['m2', 'm3']);
  });

  it('ignores events while nobody needs the list, and reads it when next needed', async () => {
    const roster = new Roster();
    roster.apply({ type: 'join', member: member(1) });
    const { load, answer } = controlledLoad();
    const reading = roster.read(load);
    answer([member(1), member(2)]);
    expect(ids(await reading)).toEqual(['c_1', 'c_2']);
  });

  it('reads again after a presence gap, and throws away a read begun before it', async () => {
    const roster = new Roster();
    const { load, answer } = controlledLoad();
    const first = roster.read(load);
    roster.stale();
    answer([member(1)]);
    // The read that was under way does not count: a second one is made.
    await new Promise((r) => setTimeout(r, 0));
    answer([member(2)]);
    expect(ids(await first)).toEqual(['c_2']);
    roster.stale();
    const third = roster.read(load);
    answer([member(3)]);
    expect(ids(await third)).toEqual(['c_3']);
  });

  it('lets every reader share one read, and a failed read fail them all without keeping anything', async () => {
    const roster = new Roster();
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('broker away'));
    };
    await expect(Promise.all([roster.read(failing), roster.read(failing)])).rejects.toThrow('broker away');
    expect(calls).toBe(1);
    const { load, answer } = controlledLoad();
    const reading = roster.read(load);
    answer([member(4)]);
    expect(ids(await reading)).toEqual(['c_4']);
  });

  it('serializes the first members once while they stay the same, and again whenever a change touches them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ join: fc.boolean(), who: fc.integer({ min: 0, max: 12 }), look: fc.boolean() }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 6 }),
        async (changes, limit) => {
          const roster = new Roster();
          const members = await roster.read(async () => []);
          for (const change of changes) {
            roster.apply({ type: change.join ? 'join' : 'leave', member: member(change.who) });
            if (!change.look) continue;
            const listing = await roster.listing(async () => [], limit);
            expect(JSON.parse(listing.listedJson)).toEqual([...members.values()].slice(0, limit));
            expect(listing.count).toBe(members.size);
          }
        },
      ),
    );
  });
});
