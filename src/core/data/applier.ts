/**
 * Applies row changes to the target inside explicit transactions and commits them together
 * with the checkpoint that covers them (exactly-once after a kill -9).
 *
 * Modes per table:
 * - exact: INSERT / UPDATE ... WHERE key=before / DELETE WHERE key=before. A missing row or a
 *   duplicate key means the target diverged: the pair stops with the table, key and message.
 * - idempotent: only for the key range a resumed snapshot is about to re-copy (see
 *   snapshot.ts): delete by key then insert. Never touches a row with another key.
 * - skip: a table the running snapshot copies later in full.
 * No blanket REPLACE / ON DUPLICATE KEY UPDATE: with a secondary UNIQUE key they would
 * silently rewrite or delete a different row.
 */
import type { Db } from '../db/connection.js';
import { escapeValue, mapDbError, queryWithInfile } from '../db/connection.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { checkpointUpsert } from './checkpoint.js';
import type { ChangeEvent, RowImage } from './events.js';
import { deleteRow, inlineStatement, insertRow, insertRows, updateRow, writableColumns, type Statement } from '../db/row-sql.js';
import { describeTable, type TableInfo } from '../db/table-info.js';

export type TableMode = 'exact' | 'idempotent' | 'skip';
type RowEvent = Extract<ChangeEvent, { type: 'insert' | 'update' | 'delete' }>;

export interface ApplierOptions {
  db: Db;
  pair: string;
  targetSchema: string;
  logger: Logger;
  /** A keyless table was seen (status warning). */
  onKeyless?: (table: string) => void;
}

export class Applier {
  private readonly tables = new Map<string, TableInfo>();
  private open = false;
  private beginPending = false;
  /** Consecutive exact inserts into one table, sent as one multi-row INSERT. */
  private batch: { t: TableInfo; cols: string; rows: RowImage[] } | null = null;
  rowsApplied = 0;

  constructor(private readonly o: ApplierOptions) {}

  get inTransaction(): boolean {
    return this.open;
  }

  invalidate(tables?: string[]): void {
    if (!tables) this.tables.clear();
    else for (const t of tables) this.tables.delete(t);
  }

  async table(name: string): Promise<TableInfo> {
    let info = this.tables.get(name);
    if (!info) {
      const found = await describeTable(this.o.db, this.o.targetSchema, name);
      if (!found) {
        throw new SyncError('TARGET_TABLE_MISSING', `table ${name} does not exist in the target database ${this.o.targetSchema}`, {
          hint: 'Enable schema sync for the pair (schema: true) or create the table on the target, then run the pair again.',
        });
      }
      if (found.keyKind === 'none') this.o.onKeyless?.(name);
      info = found;
      this.tables.set(name, info);
    }
    return info;
  }

  /**
   * Open a transaction. The START TRANSACTION is sent with the first statement (one round
   * trip less per source transaction; the apply connection allows multi-statements).
   */
  async begin(): Promise<void> {
    if (this.open) return;
    this.open = true;
    this.beginPending = true;
  }

  /** Write the checkpoint(s) in the open transaction (opening one if needed) and commit, in one round trip. */
  async commit(checkpoints: Array<[stream: string, state: unknown]>): Promise<void> {
    await this.begin();
    try {
      // pending inserts, checkpoint and COMMIT travel together: a single-row source
      // transaction costs one round trip
      const b = this.takeBatch();
      const writes = [...(b ? [insertRows(b.t, b.rows)] : []), ...checkpoints.map(([stream, state]) => checkpointUpsert(this.o.pair, stream, state))];
      await this.exec({ sql: [...writes.map((w) => w.sql), 'COMMIT'].join(';\n'), params: writes.flatMap((w) => w.params) }, b?.t, b?.rows[0]);
    } finally {
      this.open = false;
      this.beginPending = false;
    }
  }

  /** The statements that open a chunk's transaction and close it with its checkpoints. */
  private chunkFrame(checkpoints: Array<[stream: string, state: unknown]>): { head: string[]; tail: string[] } {
    const head = this.open && !this.beginPending ? [] : ['START TRANSACTION'];
    const tail = checkpoints.map(([stream, state]) => inlineStatement(checkpointUpsert(this.o.pair, stream, state), escapeValue));
    this.open = true;
    this.beginPending = false;
    return { head, tail };
  }

  /**
   * Run complete SQL texts (no placeholders) plus the checkpoints and COMMIT in as few
   * round trips as possible (packets up to ~8 MB, max_allowed_packet is 16 MB by default),
   * so the target executes a snapshot chunk back to back.
   */
  async commitTexts(sqls: string[], checkpoints: Array<[stream: string, state: unknown]>): Promise<void> {
    await this.flushInserts();
    const { head, tail } = this.chunkFrame(checkpoints);
    try {
      for (const packet of packets([...head, ...sqls, ...tail, 'COMMIT'], PACKET_BYTES)) await this.exec({ sql: packet, params: [] });
    } finally {
      this.open = false;
    }
  }

  /**
   * One snapshot chunk loaded with LOAD DATA LOCAL in one transaction: START TRANSACTION and
   * `before` (the range DELETE), the LOAD reading `data`, then the checkpoints and COMMIT.
   */
  async commitLoad(before: string[], load: string, data: Buffer, checkpoints: Array<[stream: string, state: unknown]>): Promise<void> {
    await this.flushInserts();
    const { head, tail } = this.chunkFrame(checkpoints);
    try {
      // LOAD DATA travels alone: inside a multi-statement packet the driver loses track of
      // the packet sequence after the file transfer ("packets out of order")
      await this.o.db.query([...head, ...before].join(';\n'));
      await queryWithInfile(this.o.db, load, data);
      await this.o.db.query([...tail, 'COMMIT'].join(';\n'));
    } catch (err) {
      throw mapDbError(err, { host: 'target', port: 0, user: '' });
    } finally {
      this.open = false;
    }
  }

  /** Whether the target accepts LOAD DATA LOCAL (server variable local_infile). */
  async localInfileEnabled(): Promise<boolean> {
    try {
      const [rows] = await this.o.db.query('SELECT @@GLOBAL.local_infile AS v');
      return Number((rows as Array<{ v: unknown }>)[0]?.v ?? 0) === 1;
    } catch {
      return false;
    }
  }

  async rollback(): Promise<void> {
    this.batch = null;
    if (!this.open) return;
    this.open = false;
    if (this.beginPending) { this.beginPending = false; return; }
    try {
      await this.o.db.query('ROLLBACK');
    } catch {
      // connection gone: the server rolls the transaction back itself
    }
  }

  async applyRows(ev: RowEvent, mode: TableMode): Promise<void> {
    if (mode === 'skip') return;
    const t = await this.table(ev.table);
    await this.begin();
    if (ev.type === 'insert' && mode === 'exact') {
      for (const row of ev.rows) await this.queueInsert(t, row);
    } else if (ev.type === 'insert') {
      await this.flushInserts();
      for (const row of ev.rows) {
        if (mode === 'idempotent') await this.run(deleteRow(t, row), t, row);
        await this.run(insertRow(t, row), t, row);
      }
    } else if (ev.type === 'delete') {
      await this.flushInserts();
      for (const row of ev.rows) await this.expectOne(await this.run(deleteRow(t, row), t, row), mode, t, row, 'DELETE');
    } else {
      await this.flushInserts();
      for (const { before, after } of (ev as Extract<ChangeEvent, { type: 'update' }>).rows) await this.update(t, before, after, mode);
    }
    this.rowsApplied += ev.rows.length;
  }

  private async update(t: TableInfo, before: RowImage, after: RowImage, mode: TableMode): Promise<void> {
    if (mode === 'idempotent') {
      await this.run(deleteRow(t, before), t, before);
      await this.run(deleteRow(t, after), t, after);
      await this.run(insertRow(t, after), t, after);
      return;
    }
    await this.expectOne(await this.run(updateRow(t, before, after), t, after), mode, t, before, 'UPDATE');
  }

  private async expectOne(affected: number, mode: TableMode, t: TableInfo, row: RowImage, op: string): Promise<void> {
    if (mode !== 'exact' || affected >= 1) return;
    throw new SyncError('TARGET_ROW_MISSING', `${op} on ${t.name} found no row with ${describeKey(t, row)} on the target`, {
      hint: 'The target was changed outside db-sync. Run `db-sync verify PAIR --repair` or re-copy with `db-sync sync run PAIR --resnapshot`.',
      details: { table: t.name },
    });
  }

  private async queueInsert(t: TableInfo, row: RowImage): Promise<void> {
    const cols = writableColumns(t, row).join('\u0000');
    if (this.batch && (this.batch.t !== t || this.batch.cols !== cols || this.batch.rows.length >= 500)) await this.flushInserts();
    (this.batch ??= { t, cols, rows: [] }).rows.push(row);
  }

  private takeBatch(): { t: TableInfo; rows: RowImage[] } | null {
    const b = this.batch;
    this.batch = null;
    return b;
  }

  async flushInserts(): Promise<void> {
    const b = this.takeBatch();
    if (b) await this.exec(insertRows(b.t, b.rows), b.t, b.rows[0]);
  }

  /** Run one statement (after pending inserts); returns affected rows. Rejections name the table and key. */
  async run(st: Statement, t?: TableInfo, row?: RowImage): Promise<number> {
    await this.flushInserts();
    return this.exec(st, t, row);
  }

  private async exec(st: Statement, t?: TableInfo, row?: RowImage): Promise<number> {
    const sql = this.beginPending ? `START TRANSACTION;\n${st.sql}` : st.sql;
    this.beginPending = false;
    try {
      // No params: skip the driver's placeholder scan of (large) pre-escaped INSERT texts.
      const [raw] = st.params.length ? await this.o.db.query(sql, st.params) : await this.o.db.query(sql);
      const res = Array.isArray(raw) && sql !== st.sql ? raw[raw.length - 1] : raw;
      return Number((res as { affectedRows?: number }).affectedRows ?? 0);
    } catch (err) {
      const mapped = mapDbError(err, { host: 'target', port: 0, user: '' });
      if (mapped.retryable || !t || !row) throw mapped;
      const dup = (err as { errno?: number }).errno === 1062;
      throw new SyncError(dup ? 'TARGET_UNIQUE_CONFLICT' : 'ROW_REJECTED', `target rejected a row of ${t.name} (${describeKey(t, row)}): ${mapped.message}`, {
        hint: dup
          ? 'Another target row holds the same unique value: the target diverged from the source. Run `db-sync verify PAIR --repair`, then restart the pair.'
          : 'The target table no longer accepts the source\'s values (changed by hand?). Make its definition equal to the source\'s (schema sync), then restart the pair.',
        cause: err, details: { table: t.name },
      });
    }
  }
}

const PACKET_BYTES = 8 << 20;

/** Join statements with ';' into packets of at most `limit` characters (one statement may exceed it alone). */
export function packets(statements: string[], limit: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const st of statements) {
    if (cur && cur.length + st.length + 2 > limit) { out.push(cur); cur = ''; }
    cur = cur ? `${cur};\n${st}` : st;
  }
  if (cur) out.push(cur);
  return out;
}

/** Key columns and values for error messages (values only, never whole rows). */
export function describeKey(t: TableInfo, row: RowImage): string {
  const cols = t.key.length ? t.key : t.writable.slice(0, 3);
  return cols.map((c) => `${c}=${shortValue(row[c])}`).join(', ');
}

function shortValue(v: unknown): string {
  if (Buffer.isBuffer(v)) return `0x${v.subarray(0, 16).toString('hex')}${v.length > 16 ? '…' : ''}`;
  const s = v === null || v === undefined ? 'NULL' : String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
