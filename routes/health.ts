import { Hono } from 'hono';
import { ProtocolError } from '../src/protocol/index.ts';
import type { MemberGateway } from './member-gateway.ts';

export function createHealthRoutes(gateway: Pick<MemberGateway, 'isReady'>): Hono {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', (c) => {
      if (!gateway.isReady()) throw new ProtocolError('unavailable', 'the message broker is unreachable');
      return c.json({ status: 'ready' });
    });
}
