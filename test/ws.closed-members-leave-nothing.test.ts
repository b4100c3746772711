import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MemoryBroker, MemoryBus } from '../src/broker/memory.ts';
import { parseConfig } from '../src/config/config.ts';
import type { Logger } from '../src/logger.ts';
import { startReplica, type Replica } from '../src/node/replica.ts';
import { eventually } from './support/eventually.ts';

/**
 * Each member's objects (its socket's events, liveness stamp, Member and the
 * upgrade it came from) hang off its socket and nothing else: once thousands
 * of members have connected and gone, the replica's heap is back where it
 * was. One replica, in this process, so its heap is this heap; the per-address
 * cap is on, so each connection also holds its address's slot until it ends.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MEMBERS = 3000;
const ROOM_SIZE = 10;
const CONCURRENCY = 50;
/** A member holds about 5 KiB here; 3,000 kept would be 15 MiB. */
const HEAP_BOUND = 2 * 1024 * 1024;

const quiet: Logger = { info() {}, warn() {}, error() {} };

let replica: Replica;
beforeAll(async () => {
  const config = {
    ...parseConfig({}, { instanceId: 'leave-nothing' }),
    port: 0,
    host: '127.0.0.1',
    maxConnections: 0,
    maxConnectionsPerIp: MEMBERS + 10,
  };
  const broker = new MemoryBroker(new MemoryBus({ historySize: config.historySize }));
  replica = await startReplica({ config, broker, presence: broker, log: quiet });
});
afterAll(async () => {
  await replica?.close();
});

function join(i: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${replica.port}/ws/room-${Math.floor(i / ROOM_SIZE)}?name=m${i}`);
    ws.once('message', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * Joins `count` members, some of them pinging (a frame makes a member's rate
 * buckets), then closes them all and waits until the replica holds none.
 */
async function joinAndLeave(count: number): Promise<void> {
  const members: WebSocket[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const ws = await join(i);
        if (i % 7 === 0) {
          ws.send(JSON.stringify({ type: 'ping' }));
          await new Promise((resolve) => ws.once('message', resolve));
        }
        members.push(ws);
      }
    }),
  );
  expect(replica.registry.connections).toBe(count);
  expect(replica.addressCount).toBe(1);
  for (const ws of members) ws.close();
  await eventually(() => {
    expect(replica.registry.connections).toBe(0);
    expect(replica.addressCount).toBe(0);
  }, 30_000);
}

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('members that connected and went', () => {
  it('leave the heap where it was', async () => {
    // The same rooms first: a room's own state (kept by the bus for ROOM_TTL) is not a member's.
    await joinAndLeave(MEMBERS);
    const before = heapAfterGc();

    await joinAndLeave(MEMBERS);

    const after = heapAfterGc();
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    console.log(`heap before and after ${MEMBERS} members came and went: ${mib(before)} MiB -> ${mib(after)} MiB`);
    expect(after - before).toBeLessThan(HEAP_BOUND);

    const late = await join(0);
    late.close();
  }, 120_000);
});
