import { env, runInDurableObject } from 'cloudflare:test';

export function roomObject(room: string) {
  return env.ROOMS.get(env.ROOMS.idFromName(room));
}

/** What a room's object keeps: its user tables, the messages in its log, its key-value entries and its alarm. */
export function storageOf(room: string) {
  return runInDurableObject(roomObject(room), async (_instance, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'")
      .toArray()
      .map((row) => row.name);
    const messages = tables.includes('messages') ? state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM messages').one().n : 0;
    return { tables, messages, keys: (await state.storage.list()).size, alarm: await state.storage.getAlarm() };
  });
}
