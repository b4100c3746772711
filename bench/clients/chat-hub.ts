import WebSocket from 'ws';
import { benchText, type BenchClient, type ConnectClient, type Welcome } from './client.ts';

/** A member of this project's chat (docs/protocol.md): `GET /ws/<room>?name=…&since=…`, JSON frames. */
export const connectChatHub: ConnectClient = (target, events) => {
  const query = new URLSearchParams({ name: target.name });
  if (target.since !== undefined) query.set('since', target.since);
  const ws = new WebSocket(`ws://127.0.0.1:${target.port}/ws/${encodeURIComponent(target.room)}?${query}`, {
    perMessageDeflate: false,
  });
  let welcome: ((w: Welcome) => void) | undefined;
  let refuse: (err: Error) => void = () => undefined;
  const welcomed = new Promise<Welcome>((resolve, reject) => {
    welcome = resolve;
    refuse = reject;
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new Error(`ours refused the upgrade: HTTP ${res.statusCode}`));
    });
    ws.on('error', reject);
    ws.once('close', (code) => {
      reject(new Error(`ours closed before the welcome: ${code}`));
      events.closed(code);
    });
  });
  welcomed.catch(() => undefined);
  ws.on('message', (data) => {
    const frame = data.toString();
    if (welcome) {
      const first = JSON.parse(frame) as { type: string; backlog?: number; recovered?: boolean };
      if (first.type !== 'welcome') {
        refuse(new Error(`ours sent ${frame.slice(0, 200)} before its welcome`));
        ws.terminate();
        return;
      }
      welcome({ backlog: first.backlog ?? 0, recovered: first.recovered === true });
      welcome = undefined;
      return;
    }
    const text = benchText(frame);
    if (text !== undefined) events.text(text);
  });
  const client: BenchClient = {
    welcomed,
    send(text, ref) {
      ws.send(JSON.stringify({ type: 'message', text, ref }));
    },
    close() {
      ws.terminate();
    },
  };
  return client;
};
