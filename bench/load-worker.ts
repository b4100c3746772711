/**
 * One load-generator thread: holds raw WebSocket members of one system, sends
 * for the senders among them at a given rate, and records what its members
 * receive: per sender and step, how many distinct messages in order, how many
 * again, and each delivery's latency (the sender wrote its send time in the text).
 */
import { parentPort } from 'node:worker_threads';
import { connectChatHub } from './clients/chat-hub.ts';
import { connectSocketIo } from './clients/socketio.ts';
import { TEXT_PREFIX, type BenchClient, type ConnectClient } from './clients/client.ts';
import type { AssignedMember, Answers, Command, ConnectAnswer, Reply, Request, SentCount, StepReport } from './load-protocol.ts';
import { SenderTicker } from './sender-ticker.ts';
import { emptyHistogram, record } from './latency.ts';

/** What one member received from one sender in this step. */
interface Stream {
  next: number;
  distinct: number;
  doubled: number;
}

interface Member extends AssignedMember {
  client: BenchClient;
  streams: Map<number, Stream>;
}

const CONNECT: Record<string, ConnectClient> = { ours: connectChatHub, deno: connectChatHub, socketio: connectSocketIo };

let members: Member[] = [];
let step = 0;
let delivered = 0;
let closed = 0;
let histogram = emptyHistogram();

function now(): number {
  return performance.timeOrigin + performance.now();
}

function receive(member: Member, text: string): void {
  // bench:<step>:<sender>:<seq>:<sent at, ms since the epoch>
  const [, stepText, senderText, seqText, sentAt] = text.split(':');
  if (Number(stepText) !== step) return;
  const sender = Number(senderText);
  const seq = Number(seqText);
  let stream = member.streams.get(sender);
  if (!stream) member.streams.set(sender, (stream = { next: 0, distinct: 0, doubled: 0 }));
  if (seq >= stream.next) {
    stream.distinct++;
    stream.next = seq + 1;
  } else {
    stream.doubled++;
  }
  delivered++;
  record(histogram, now() - Number(sentAt));
}

async function connect(command: Extract<Command, { cmd: 'connect' }>): Promise<ConnectAnswer> {
  const open = CONNECT[command.system]!;
  const queue = [...command.members];
  const answer: ConnectAnswer = { connected: 0, failed: 0, firstError: undefined };
  const lane = async (): Promise<void> => {
    for (let target = queue.shift(); target; target = queue.shift()) {
      const member = { ...target, streams: new Map() } as Member;
      member.client = open(target, { text: (text) => receive(member, text), closed: () => closed++ });
      try {
        await member.client.welcomed;
        members.push(member);
        answer.connected++;
      } catch (err) {
        answer.failed++;
        answer.firstError ??= (err as Error).message;
        member.client.close();
      }
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, lane));
  return answer;
}

function report(sent: SentCount[]): StepReport {
  const byRoom = new Map<string, SentCount[]>();
  for (const s of sent) byRoom.set(s.room, [...(byRoom.get(s.room) ?? []), s]);
  let lost = 0;
  let doubled = 0;
  for (const member of members) {
    for (const { sender, sent: count } of byRoom.get(member.room) ?? []) {
      if (sender === member.index) continue;
      const stream = member.streams.get(sender);
      lost += count - (stream?.distinct ?? 0);
      doubled += stream?.doubled ?? 0;
    }
  }
  return { delivered, lost, doubled, closed, histogram };
}

async function handle(command: Command): Promise<Answers[keyof Answers]> {
  switch (command.cmd) {
    case 'connect':
      return connect(command);
    case 'startStep':
      step = command.step;
      delivered = 0;
      closed = 0;
      histogram = emptyHistogram();
      for (const member of members) member.streams.clear();
      return null;
    case 'send': {
      const byIndex = new Map(members.map((m) => [m.index, m]));
      const senders = command.senders.map((i) => byIndex.get(i)!);
      const ticker = new SenderTicker(senders.length, command.rate, (slot, seq) => {
        const sender = senders[slot]!;
        sender.client.send(`${TEXT_PREFIX}${step}:${sender.index}:${seq}:${now().toFixed(2)}`, `r${step}-${sender.index}-${seq}`);
      });
      const counts = await ticker.run(command.durationMs);
      return senders.map((s, slot) => ({ sender: s.index, room: s.room, sent: counts[slot]! }));
    }
    case 'delivered':
      return delivered;
    case 'report':
      return report(command.sent);
    case 'closeAll':
      for (const member of members) member.client.close();
      members = [];
      return null;
  }
}

parentPort!.on('message', (request: Request) => {
  handle(request).then(
    (result) => parentPort!.postMessage({ id: request.id, result } satisfies Reply),
    (err: Error) => parentPort!.postMessage({ id: request.id, error: err.stack ?? err.message } satisfies Reply),
  );
});
