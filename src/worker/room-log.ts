import { type ChatMessage, type MessageId, formatMessageId, parseMessageId } from '../protocol/index.ts';

/** A row's id as its (ms, seq) pair in SQL: ids are `ms-seq`, compared as numbers, not as text. */
const ID_PAIR = "(CAST(substr(id, 1, instr(id, '-') - 1) AS INTEGER), CAST(substr(id, instr(id, '-') + 1) AS INTEGER))";

/** What a re-sent `ref` is answered with. */
export interface SeenRef {
  id: string;
  ts: number;
}

/**
 * One room's log and recent refs in its Durable Object's SQLite storage, so
 * they outlive the object. `n` numbers the messages in order; the log keeps
 * the last `historySize` of them. The tables are made by the first write, so a
 * room that was never written, or was forgotten, holds no storage at all.
 */
export class RoomLog {
  private hasTables: boolean;

  constructor(
    private readonly sql: SqlStorage,
    private readonly historySize: number,
  ) {
    this.hasTables = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages'").toArray().length > 0;
  }

  /** The object's storage was deleted, tables and all. */
  forgotten(): void {
    this.hasTables = false;
  }

  /** The newest message's place and id: where the ids continue after a restart. */
  last(): { n: number; id: MessageId } | null {
    if (!this.hasTables) return null;
    const row = this.sql.exec<{ n: number; id: string }>('SELECT n, id FROM messages ORDER BY n DESC LIMIT 1').toArray()[0];
    if (!row) return null;
    const id = parseMessageId(row.id);
    if (!id) throw new Error(`room log holds a malformed id ${JSON.stringify(row.id)} at ${row.n}`);
    return { n: row.n, id };
  }

  append(n: number, message: ChatMessage): void {
    this.makeTables();
    this.sql.exec('INSERT INTO messages (n, id, message) VALUES (?, ?, ?)', n, message.id, JSON.stringify(message));
    this.sql.exec('DELETE FROM messages WHERE n <= ?', n - this.historySize);
  }

  /** Messages after `n`, oldest first. */
  after(n: number): ChatMessage[] {
    if (!this.hasTables) return [];
    return this.sql
      .exec<{ message: string }>('SELECT message FROM messages WHERE n > ? ORDER BY n', n)
      .toArray()
      .map((row) => JSON.parse(row.message) as ChatMessage);
  }

  /** Up to `limit` messages older than `before` (from the newest when null), newest first. */
  older(before: MessageId | null, limit: number): ChatMessage[] {
    return this.beyond(before, 'older', limit);
  }

  /** Up to `limit` messages newer than `after`, oldest first. */
  newer(after: MessageId, limit: number): ChatMessage[] {
    return this.beyond(after, 'newer', limit);
  }

  /** Where the message with this id is, if the log still holds it. */
  find(id: MessageId): number | null {
    if (!this.hasTables) return null;
    const row = this.sql.exec<{ n: number }>('SELECT n FROM messages WHERE id = ?', formatMessageId(id)).toArray()[0];
    return row ? row.n : null;
  }

  seenRef(ref: string, now: number): SeenRef | null {
    if (!this.hasTables) return null;
    const row = this.sql.exec<{ id: string; ts: number }>('SELECT id, ts FROM refs WHERE ref = ? AND expires > ?', ref, now).toArray()[0];
    return row ? { id: row.id, ts: row.ts } : null;
  }

  rememberRef(ref: string, seen: SeenRef, expires: number): void {
    this.makeTables();
    this.sql.exec('DELETE FROM refs WHERE expires <= ?', seen.ts);
    this.sql.exec('INSERT OR REPLACE INTO refs (ref, id, ts, expires) VALUES (?, ?, ?, ?)', ref, seen.id, seen.ts, expires);
  }

  /**
   * Messages past the exclusive bound `id`, nearest first; n order is id order.
   * A held id (every `next` a page gave, unless trimmed since) is found by its
   * index; any other is compared as an id pair row by row, from the far end
   * until `limit` match: at most the log's length, which is bounded.
   */
  private beyond(id: MessageId | null, side: 'older' | 'newer', limit: number): ChatMessage[] {
    if (!this.hasTables) return [];
    const [cmp, order] = side === 'older' ? ['<', 'DESC'] : ['>', 'ASC'];
    let where = '';
    let args: number[] = [];
    if (id) {
      const held = this.find(id);
      [where, args] = held !== null ? [`WHERE n ${cmp} ?`, [held]] : [`WHERE ${ID_PAIR} ${cmp} (?, ?)`, [id.ms, id.seq]];
    }
    return this.sql
      .exec<{ message: string }>(`SELECT message FROM messages ${where} ORDER BY n ${order} LIMIT ?`, ...args, limit)
      .toArray()
      .map((row) => JSON.parse(row.message) as ChatMessage);
  }

  private makeTables(): void {
    if (this.hasTables) return;
    this.sql.exec('CREATE TABLE IF NOT EXISTS messages (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, message TEXT NOT NULL)');
    this.sql.exec('CREATE TABLE IF NOT EXISTS refs (ref TEXT PRIMARY KEY, id TEXT NOT NULL, ts INTEGER NOT NULL, expires INTEGER NOT NULL)');
    this.sql.exec('CREATE INDEX IF NOT EXISTS refs_by_expiry ON refs (expires)');
    this.hasTables = true;
  }
}
