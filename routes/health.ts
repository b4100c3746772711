import { Hono } from 'hono';
import { ProtocolError } from '../src/protocol/index.ts';
import type { MemberGateway } from './member-gateway.ts';

export function createHealthRoutes(gateway: Pick<MemberGateway, 'isReady'>): Hono {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', (c) => {
      // A probe's answer, not a refusal: not logged (a probe polls through a whole
      // outage, which the broker logs itself), but with the protocol's error body.
      if (!gateway.isReady()) return c.json(new ProtocolError('unavailable', 'the message broker is unreachable').toBody(), 503);
      return c.json({ status: 'ready' });
    });
}
