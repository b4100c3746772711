import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplicas, type ReplicaSet } from './support/replicas.ts';
import { TestClient } from './support/test-client.ts';

let set: ReplicaSet;
beforeAll(async () => {
  set = await startReplicas(2);
});
afterAll(async () => {
  await set?.close();
});

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in metrics`);
  return Number(line.slice(name.length + 1));
}

it('exports connections, rooms, messages received and delivered, publish latency, broker up and process metrics', async () => {
  const alice = await TestClient.join(set.wsUrl(0, 'lobby', { name: 'alice' }));
  const bob = await TestClient.join(set.wsUrl(0, 'lobby', { name: 'bob' }));
  const carol = await TestClient.join(set.wsUrl(1, 'lobby', { name: 'carol' }));
  await alice.client.say('one');
  await bob.client.next('message');
  await carol.client.next('message');

  const res = await fetch(set.httpUrl(0, '/metrics'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/plain/);
  const text = await res.text();
  expect(sample(text, 'chat_connections')).toBe(2);
  expect(sample(text, 'chat_rooms')).toBe(1);
  expect(sample(text, 'chat_messages_received_total')).toBe(1);
  expect(sample(text, 'chat_messages_delivered_total')).toBe(1);
  expect(sample(text, 'chat_publish_duration_seconds_count')).toBe(1);
  expect(sample(text, 'chat_broker_up')).toBe(1);
  expect(text).toContain('process_cpu_user_seconds_total');

  const other = await (await fetch(set.httpUrl(1, '/metrics'))).text();
  expect(sample(other, 'chat_messages_received_total')).toBe(0);
  expect(sample(other, 'chat_messages_delivered_total')).toBe(1);

  set.bus.setAvailable(false);
  expect(sample(await (await fetch(set.httpUrl(0, '/metrics'))).text(), 'chat_broker_up')).toBe(0);
  set.bus.setAvailable(true);
  for (const c of [alice, bob, carol]) c.client.close();
});
