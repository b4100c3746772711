import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareIdText, parseConnectRequest } from '../src/protocol/index.ts';
import type { Member } from '../src/room/index.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { createRoomWorld, settle } from './support/room-world.ts';

/**
 * One room on two replicas sharing an in-memory bus, driven by random
 * sequences of what clients do, in any interleaving with the room's own
 * asynchronous steps (a member may send before its welcome, leave mid-publish,
 * or re-send a ref another one used). After each sequence the room has settled
 * and docs/protocol.md's promises about messages are checked on what every fake
 * socket received.
 */

const ROOM = 'prop';

type Action =
  /** A new member on replica 0 or 1; its welcome comes when the room gets to it. */
  | { kind: 'join'; replica: number }
  /** The client closes its socket. */
  | { kind: 'leave'; who: number }
  /** A frame over the size limit: the server closes the member with 1009. */
  | { kind: 'oversize'; who: number }
  | { kind: 'send'; who: number; withRef: boolean }
  /** Sends a ref used before in the room (a client re-sending after a reconnect), with a new text. */
  | { kind: 'resend'; who: number; which: number }
  | { kind: 'junk'; who: number }
  /** Lets the room's pending promises run: one microtask, or everything due. */
  | { kind: 'tick' }
  | { kind: 'settle' };

const who = fc.nat({ max: 1000 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('join' as const), replica: fc.constantFrom(0, 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('oversize' as const), who }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('send' as const), who, withRef: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('resend' as const), who, which: fc.nat({ max: 1000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('junk' as const), who }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'tick' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'settle' as const }) },
);

interface Client {
  member: Member;
  socket: FakeSocket;
  /** The room's log length when its welcome was written: every later message of another's must reach it. */
  logAtWelcome: number | null;
  /** Every message frame it sent while open, in order. */
  sends: Array<{ text: string; ref?: string }>;
  /** Texts of those sent before its welcome was written. */
  left: boolean;
}

/** Plays `actions` against a fresh room; returns what the checks need. */
async function play(actions: Action[]) {
  const world = createRoomWorld({ replicas: 2, rateLimit: 0, maxFrameBytes: 1024 });
  const log = () => world.bus.find(ROOM)?.log ?? [];
  const clients: Client[] = [];
  const refsUsed: string[] = [];
  let texts = 0;
  const open = () => clients.filter((c) => !c.member.isClosed);

  for (const step of actions) {
    const actor = step.kind !== 'join' && 'who' in step ? open()[step.who % Math.max(open().length, 1)] : undefined;
    switch (step.kind) {
      case 'join': {
        const socket = new FakeSocket();
        const client = { socket, logAtWelcome: null, sends: [], left: false } as unknown as Client;
        const send = socket.send.bind(socket);
        socket.send = (frame, utf8) => {
          if (client.logAtWelcome === null) client.logAtWelcome = log().length;
          send(frame, utf8);
        };
        client.member = world.registries[step.replica]!.connect(parseConnectRequest(ROOM, `m${clients.length}`, undefined), socket);
        clients.push(client);
        break;
      }
      case 'leave':
        if (!actor) break;
        actor.left = true;
        actor.socket.close(1000, 'bye');
        actor.member.socketClosed();
        break;
      case 'oversize':
        actor?.member.receive(JSON.stringify({ type: 'ping', pad: 'p'.repeat(1024) }));
        break;
      case 'send':
      case 'resend': {
        if (!actor) break;
        const ref = step.kind === 'resend' ? refsUsed[step.which % refsUsed.length] : step.withRef ? `ref-${refsUsed.length}` : undefined;
        if (step.kind === 'resend' && ref === undefined) break;
        if (ref !== undefined && !refsUsed.includes(ref)) refsUsed.push(ref);
        const frame = { type: 'message', text: `t${++texts}`, ...(ref === undefined ? {} : { ref }) };
        actor.sends.push(frame);
        actor.member.receive(JSON.stringify(frame));
        break;
      }
      case 'junk':
        actor?.member.receive('{"type":"message","text":42}');
        break;
      case 'tick':
        await Promise.resolve();
        break;
      case 'settle':
        await settle();
        break;
    }
  }
  for (let i = 0; i < 3; i++) await settle();
  return { clients, log: log() };
}

function frames(client: Client): any[] {
  return client.socket.frames();
}

describe('a room under random joins, leaves, sends, re-sent refs and closes, on two replicas', () => {
  const escaped: unknown[] = [];
  const record = (err: unknown) => escaped.push(err);
  beforeEach(() => {
    escaped.length = 0;
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
  });
  afterEach(() => {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
  });

  it('keeps every promise docs/protocol.md makes about messages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 60 }), async (actions) => {
        const { clients, log } = await play(actions);
        expect(escaped).toEqual([]);

        // Nothing doubled: one log entry per ref, and a re-sent ref's new text is dropped.
        const firstTextOfRef = new Map<string, string>();
        const expectedTexts: string[] = [];
        for (const c of clients) for (const s of c.sends) {
          if (s.ref === undefined) expectedTexts.push(s.text);
        }
        // The first send of a ref is the first in time; texts are numbered in time.
        const allSends = clients.flatMap((c) => c.sends).sort((a, b) => Number(a.text.slice(1)) - Number(b.text.slice(1)));
        for (const s of allSends) if (s.ref !== undefined && !firstTextOfRef.has(s.ref)) firstTextOfRef.set(s.ref, s.text);
        expectedTexts.push(...firstTextOfRef.values());
        expect(log.map((m) => m.text).sort()).toEqual(expectedTexts.sort());
        const byId = new Map(log.map((m) => [m.id, m]));
        const idOfText = new Map(log.map((m) => [m.text, m.id]));
        const globalOrder = log.map((m) => m.id);
        for (let i = 1; i < globalOrder.length; i++) expect(compareIdText(globalOrder[i - 1]!, globalOrder[i]!)).toBeLessThan(0);

        for (const c of clients) {
          const got = frames(c);
          const stillOpen = !c.member.isClosed;
          if (stillOpen) expect(got[0]?.type).toBe('welcome');

          // Acked once per send; a re-sent ref gets the first one's id and ts again.
          const acks = got.filter((f) => f.type === 'ack');
          const expectedAcks = c.sends.map((s) => {
            const id = idOfText.get(s.ref === undefined ? s.text : firstTextOfRef.get(s.ref)!)!;
            return { type: 'ack', id, ts: byId.get(id)!.ts, ...(s.ref === undefined ? {} : { ref: s.ref }) };
          });
          if (stillOpen) expect(acks).toEqual(expectedAcks);
          else expect(acks).toEqual(expectedAcks.slice(0, acks.length));

          // One order, each message once, none of its own, each as published.
          const all = got.filter((f) => f.type === 'message');
          for (const m of all) expect({ ...m, type: undefined }).toEqual({ ...byId.get(m.id), type: undefined });
          for (const m of all) expect(m.from.id).not.toBe(c.member.id);
          const ids = all.map((m) => m.id);
          for (let i = 1; i < ids.length; i++) expect(compareIdText(ids[i - 1]!, ids[i]!)).toBeLessThan(0);

          if (stillOpen && c.logAtWelcome !== null) {
            // Nothing missing: from its first message on, everything of the others', and all after its welcome.
            const othersInOrder = log.filter((m) => m.from.id !== c.member.id).map((m) => m.id);
            const from = ids.length > 0 ? othersInOrder.indexOf(ids[0]!) : othersInOrder.length;
            expect(ids).toEqual(othersInOrder.slice(from));
            const afterWelcome = log.slice(c.logAtWelcome).filter((m) => m.from.id !== c.member.id).map((m) => m.id);
            expect(ids.slice(ids.length - afterWelcome.length)).toEqual(afterWelcome);
          }

          // Presence is about the others, never the member itself.
          for (const p of got.filter((f) => f.type === 'join' || f.type === 'leave')) expect(p.member.id).not.toBe(c.member.id);
        }
      }),
      { numRuns: 100 },
    );
  }, 60_000);

  // Found by the property above: a socket is open, and its frames handled,
  // before the room has written the welcome, so a message sent in that window
  // is published before the history read.
  it('does not send a member its own message in its backlog when it sent before its welcome', async () => {
    const world = createRoomWorld({ replicas: 2, rateLimit: 0 });
    const socket = new FakeSocket();
    const member = world.registries[0]!.connect(parseConnectRequest(ROOM, 'early', undefined), socket);
    member.receive(JSON.stringify({ type: 'message', text: 'sent on open', ref: 'early-1' }));
    await settle();
    const [welcome, ...rest] = socket.frames();
    expect(welcome).toMatchObject({ type: 'welcome', backlog: 0 });
    expect(rest).toEqual([{ type: 'ack', ref: 'early-1', id: expect.any(String), ts: expect.any(Number) }]);
  });
});
