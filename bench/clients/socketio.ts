import WebSocket from 'ws';
import { benchText, type BenchClient, type ConnectClient, type Welcome } from './client.ts';

/**
 * A Socket.IO member spoken raw over `ws`: Engine.IO v4 packets (`0` open,
 * `2`/`3` ping/pong, `4` message) carrying Socket.IO packets (`40` connect,
 * `42` event, `43` ack). The room is in the handshake query, as bench/socketio-server.ts reads it.
 * https://socket.io/docs/v4/socket-io-protocol/ and https://socket.io/docs/v4/engine-io-protocol/
 */
export const connectSocketIo: ConnectClient = (target, events) => {
  const query = new URLSearchParams({ EIO: '4', transport: 'websocket', room: target.room, name: target.name });
  const ws = new WebSocket(`ws://127.0.0.1:${target.port}/socket.io/?${query}`, { perMessageDeflate: false });
  let welcome: ((w: Welcome) => void) | undefined;
  let refuse: (err: Error) => void = () => undefined;
  const welcomed = new Promise<Welcome>((resolve, reject) => {
    welcome = resolve;
    refuse = reject;
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new Error(`Socket.IO refused the upgrade: HTTP ${res.statusCode}`));
    });
    ws.on('error', reject);
    ws.once('close', (code) => {
      reject(new Error(`Socket.IO closed before the welcome: ${code}`));
      events.closed(code);
    });
  });
  welcomed.catch(() => undefined);
  let ackId = 0;
  ws.on('message', (data) => {
    const packet = data.toString();
    if (packet === '2') return ws.send('3');
    if (packet.startsWith('0')) return ws.send('40');
    if (packet.startsWith('44')) {
      refuse(new Error(`Socket.IO refused the namespace: ${packet}`));
      ws.terminate();
      return;
    }
    if (welcome && packet.startsWith('42["welcome"')) {
      welcome({ backlog: 0, recovered: false });
      welcome = undefined;
      return;
    }
    const text = benchText(packet);
    if (text !== undefined) events.text(text);
  });
  const client: BenchClient = {
    welcomed,
    send(text) {
      ws.send(`42${ackId++}${JSON.stringify(['message', text])}`);
    },
    close() {
      ws.terminate();
    },
  };
  return client;
};
