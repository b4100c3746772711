/**
 * The chat as a competent Socket.IO 4.8 user would write it, for the bench to
 * compare with: a member connects with its room in the handshake query, joins
 * it, gets a `welcome`, and the room hears `join`/`leave`; a `message` is sent
 * to the room's other members on every replica (through @socket.io/redis-adapter)
 * with a server id and ts, and acked to its sender. Settings are Socket.IO's
 * defaults but for `transports: ['websocket']`, as the load generator speaks
 * raw WebSocket. Env: PORT, HOST, INSTANCE_ID, REDIS_URL.
 */
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const instance = process.env.INSTANCE_ID ?? 'socketio';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const pubClient = new Redis(redisUrl);
const subClient = pubClient.duplicate();
for (const client of [pubClient, subClient]) client.on('error', (err) => console.error(`redis: ${err.message}`));

const http = createServer((req, res) => {
  if (req.url === '/readyz') {
    const ready = pubClient.status === 'ready' && subClient.status === 'ready';
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ready ? 'ready' : 'unavailable' }));
    return;
  }
  res.writeHead(404).end();
});

const io = new Server(http, { transports: ['websocket'], adapter: createAdapter(pubClient, subClient) });

let sequence = 0;

io.on('connection', (socket) => {
  const room = String(socket.handshake.query.room ?? 'lobby');
  const member = { id: `c_${randomBytes(8).toString('hex')}`, name: String(socket.handshake.query.name ?? 'anon') };
  void socket.join(room);
  socket.emit('welcome', { room, you: member, instance, memberCount: io.sockets.adapter.rooms.get(room)?.size ?? 1 });
  socket.to(room).emit('join', { member });

  socket.on('message', (text: unknown, ack?: (reply: { id: string; ts: number }) => void) => {
    if (typeof text !== 'string' || text.length === 0 || text.length > 2000) return;
    const ts = Date.now();
    const id = `${ts}-${instance}-${sequence++}`;
    socket.to(room).emit('message', { id, room, from: member, text, ts });
    if (typeof ack === 'function') ack({ id, ts });
  });

  socket.on('disconnect', () => {
    io.to(room).emit('leave', { member });
  });
});

http.listen(port, host, () => console.log(`listening on http://${host}:${port}`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    io.close();
    pubClient.disconnect();
    subClient.disconnect();
    process.exit(0);
  });
}
