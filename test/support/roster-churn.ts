import { WebSocket } from 'ws';
import type { ReplicaSet } from './replicas.ts';
import { eventually } from './eventually.ts';

/**
 * A room held open by one member while others come and go in waves, every
 * member on a real socket, alternating between two replicas on one bus. A
 * wave bigger than the presence limit takes the room's count past the limit
 * and back (count frames above it, join/leave below).
 *
 * The test's side keeps as little as it can: a member's socket is dropped once
 * it closed, and the holder counts its frames instead of keeping them, so that
 * what the heap keeps is the servers'.
 */
export interface RosterChurn {
  /** Frames the holder received: presence and counts. */
  readonly holderFrames: number;
  /** `cycles` more members join and leave, a wave at a time; resolves once every replica and the bus hold only the holder. */
  run(cycles: number): Promise<void>;
  close(): void;
}

/** Opens a member's socket and resolves with it at its welcome. */
function joinQuietly(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('message', () => {
      ws.off('error', reject);
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

function leave(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close();
  });
}

export async function startRosterChurn(set: ReplicaSet, room: string, wave: number): Promise<RosterChurn> {
  let holderFrames = 0;
  const holder = await joinQuietly(set.wsUrl(0, room, { name: 'holder' }));
  holder.on('message', () => holderFrames++);
  let joined = 0;

  /** Only the holder is left, on replica 0, in the registries and on the bus. */
  function onlyHolder(): void {
    const connections = set.replicas.map((r) => r.registry.connections);
    const onBus = set.bus.find(room)?.members.size;
    if (connections.some((c, i) => c !== (i === 0 ? 1 : 0)) || onBus !== 1) {
      throw new Error(`members left behind: connections ${connections.join('/')}, ${onBus} on the bus`);
    }
  }

  return {
    get holderFrames() {
      return holderFrames;
    },
    async run(cycles) {
      for (let done = 0; done < cycles; done += wave) {
        const size = Math.min(wave, cycles - done);
        const members = await Promise.all(
          Array.from({ length: size }, () => {
            const i = joined++;
            return joinQuietly(set.wsUrl(i % set.replicas.length, room, { name: `m${i}` }));
          }),
        );
        await Promise.all(members.map(leave));
        await eventually(onlyHolder, 10_000);
      }
    },
    close() {
      holder.terminate();
    },
  };
}
