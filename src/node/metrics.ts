import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Broker } from '../broker/broker.ts';
import type { RoomMetrics, RoomRegistry } from '../room/index.ts';
import { metricsAccess } from '../../routes/metrics-access.ts';

export interface MetricsOptions {
  /** METRICS_TOKEN: when set, a scrape needs it as a bearer token; when not, only loopback peers may scrape. */
  token?: string | undefined;
}

/**
 * Prometheus metrics of one replica, each on a registry of its own (the dev
 * launcher may run two replicas in one process).
 */
export function createMetrics({ token }: MetricsOptions = {}) {
  const register = new Registry();
  collectDefaultMetrics({ register });
  // The exact Node version tells a scraper which published flaws apply.
  register.removeSingleMetric('nodejs_version_info');
  const received = new Counter({ name: 'chat_messages_received_total', help: 'Message frames accepted from members for publishing.', registers: [register] });
  const delivered = new Counter({ name: 'chat_messages_delivered_total', help: 'Messages written to local members (one per member).', registers: [register] });
  const publish = new Histogram({
    name: 'chat_publish_duration_seconds',
    help: 'Time from a message frame to its ack: the broker publish.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [register],
  });
  const roomMetrics: RoomMetrics = {
    messageReceived: () => received.inc(),
    messagesDelivered: (count) => delivered.inc(count),
    publishSeconds: (seconds) => publish.observe(seconds),
  };

  /** Gauges read at scrape time from what the replica holds. */
  function watch(registry: RoomRegistry, broker: Broker): void {
    new Gauge({ name: 'chat_connections', help: 'Members connected to this replica.', registers: [register], collect() { this.set(registry.connections); } });
    new Gauge({ name: 'chat_rooms', help: 'Rooms with members on this replica.', registers: [register], collect() { this.set(registry.roomCount); } });
    new Gauge({ name: 'chat_broker_up', help: '1 when the broker is reachable, else 0.', registers: [register], collect() { this.set(broker.isReady() ? 1 : 0); } });
  }

  const access = metricsAccess({ token, peerAddress: (c) => getConnInfo(c).remote.address });

  function mount(app: Hono): void {
    app.get('/metrics', access, async (c) => c.body(await register.metrics(), 200, { 'Content-Type': register.contentType }));
  }

  return { roomMetrics, watch, mount };
}
