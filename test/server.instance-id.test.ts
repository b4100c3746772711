import { expect, it } from 'vitest';
import { parseConfig } from '../src/config/config.ts';
import { defaultInstanceId } from '../src/server/instance-id.ts';

it('differs between two starts with the same host name and pid (a restarted container), and is a valid INSTANCE_ID', () => {
  const first = defaultInstanceId('3f2a9c1b7e0d', 1);
  const second = defaultInstanceId('3f2a9c1b7e0d', 1);
  expect(first).not.toBe(second);
  for (const id of [first, second]) {
    expect(id).toMatch(/^3f2a9c1b7e0d-1-[a-z]{6}$/);
    expect(parseConfig({ INSTANCE_ID: id }, { instanceId: 'x' }).instanceId).toBe(id);
  }
});

it('stays a valid INSTANCE_ID for any host name: odd characters replaced, cut to 64 characters', () => {
  for (const host of ['', 'a'.repeat(300), 'héllo wörld', 'host/with{braces}']) {
    const id = defaultInstanceId(host, 4_194_304);
    expect(id.length).toBeLessThanOrEqual(64);
    expect(parseConfig({ INSTANCE_ID: id }, { instanceId: 'x' }).instanceId).toBe(id);
  }
});
