import { Hono } from 'hono';
import { ProtocolError } from '../src/protocol/index.ts';
import type { RoomRegistry } from '../src/room/index.ts';

export function createHealthRoutes(registry: RoomRegistry): Hono {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', (c) => {
      if (!registry.isReady()) throw new ProtocolError('unavailable', 'the message broker is unreachable');
      return c.json({ status: 'ready' });
    });
}
