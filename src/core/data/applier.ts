/**
 * Applies binlog row changes to the target inside explicit transactions and commits them
 * together with the checkpoint that covers them (exactly-once after a kill -9).
 *
 * Modes per table:
 * - exact: INSERT / UPDATE ... WHERE key=before / DELETE WHERE key=before; a missing row or a
 *   duplicate key means the target diverged: the pair stops with the table, key and message.
 * - idempotent: delete by key then insert (re-applying is harmless): the key range a resumed
 *   snapshot re-copies, and non-transactional tables (a kill -9 cannot roll them back).
 * - skip: a table the running snapshot copies later in full.
 * No blanket REPLACE / ON DUPLICATE KEY UPDATE: with a secondary UNIQUE key they would
 * silently rewrite or delete a different row.
 *
 * Source transaction boundaries inside one target transaction (several small source
 * transactions are grouped): a source transaction that ends in ROLLBACK is undone back to a
 * savepoint set where it began; SAVEPOINT / ROLLBACK TO / RELEASE from the source are replayed.
 * FOREIGN_KEY_CHECKS follows each row event's flag, as on a native replica, so the target's
 * ON DELETE/UPDATE CASCADE produces the cascaded changes the binlog does not carry.
 */
import type { BinarySession } from '../db/connection.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { checkpointBytes } from './checkpoint.js';
import type { RowsEvent } from './events.js';
import { presentColumns, TableWriter, unknownColumns, type RowImage } from '../db/row-bytes.js';
import { currentChanges } from './system-versioning.js';
import { describeTable, foreignKeyLinks, type ForeignKeyLink, type TableInfo } from '../db/table-info.js';
import { APPLY_SQL_MODE } from '../db/session.js';
import { PACKET_SLACK, TxnPipe } from './txn-pipe.js';


/** The warning for a table without a key (shown once per table in status). */
export function keylessWarning(table: string): string {
  return `table ${table} has no primary key or NOT NULL unique key: updates and deletes match the whole row`
    + ' (slow on big tables)';
}

export type TableMode = 'exact' | 'idempotent' | 'skip';

export interface ApplierOptions {
  session: BinarySession;
  pair: string;
  targetSchema: string;
  /** In the pair's scope (foreign keys to tables outside it are not checked). */
  inScope: (table: string) => boolean;
  logger: Logger;
  /** A warning for the status (keyless table, unchecked foreign keys ...). */
  onWarning?: (message: string) => void;
  /** The target's max_allowed_packet. */
  maxPacket: number;
}

interface Target {
  info: TableInfo;
  writer: TableWriter;
  /** Foreign keys only link tables of the pair: the target may check them. */
  fkSafe: boolean;
}

const TXN_SAVEPOINT = '`_db_sync_txn`';
const START = Buffer.from('START TRANSACTION; SET @db_sync_at = 0', 'latin1');
const COMMIT = Buffer.from('COMMIT', 'latin1');

export class Applier {
  private readonly tables = new Map<string, Target>();
  private readonly pipe: TxnPipe;
  private open = false;
  /** The open target transaction holds statements of an earlier source transaction. */
  private holdsEarlierTxns = false;
  /** The current source transaction has queued statements / set its savepoint. */
  private txnWrote = false;
  private txnSavepoint = false;
  /** The current source transaction is known to end in COMMIT (its end was already received). */
  private txnCommits = false;
  private fkChecks: boolean | null = null;
  /**
   * The open target transaction wrote a non-transactional table: Aria then refuses any later
   * SAVEPOINT in it (ER_CHECK_NOT_IMPLEMENTED), so no further source transaction may join it.
   */
  private wroteNonTransactional = false;
  /** Multi-row INSERT being built: consecutive exact inserts into one table with one column set. */
  private batch: InsertBatch | null = null;
  /** fkLinks(): the target schema's foreign keys by table, until the next DDL (invalidate()). */
  private links: Promise<Map<string, ForeignKeyLink[]>> | null = null;
  rowsApplied = 0;

  constructor(private readonly opts: ApplierOptions) {
    this.pipe = new TxnPipe(opts.session, opts.maxPacket - PACKET_SLACK);
  }

  get inTransaction(): boolean {
    return this.open;
  }

  /** The open target transaction must commit at the end of the current source transaction. */
  get mustCommitAlone(): boolean {
    return this.open && this.wroteNonTransactional;
  }

  get session(): BinarySession {
    return this.opts.session;
  }

  invalidate(): void {
    this.tables.clear();
    this.links = null;
  }

  /**
   * Every synced table the source may change through a cascade from a table the pair does
   * not sync (no binlog event would carry those changes): stop before drifting.
   */
  async checkCascades(): Promise<void> {
    for (const name of (await this.fkLinks()).keys()) {
      if (!this.opts.inScope(name)) continue;
      const parents = cascadingIn(await this.outsideLinks(name));
      if (parents.length) throw splitCascade(name, parents.map((f) => f.table));
    }
  }

  /** The target schema's foreign keys by table, read once until the next DDL (invalidate()). */
  private fkLinks(): Promise<Map<string, ForeignKeyLink[]>> {
    this.links ??= foreignKeyLinks(this.opts.session, this.opts.targetSchema);
    return this.links.catch((err: unknown) => { this.links = null; throw err; });
  }

  /** A table's foreign keys to or from tables the pair does not sync (in another database or filtered out). */
  private async outsideLinks(name: string): Promise<ForeignKeyLink[]> {
    return ((await this.fkLinks()).get(name) ?? []).filter((f) => f.otherDatabase || !this.opts.inScope(f.table));
  }

  async table(name: string): Promise<TableInfo> {
    return (await this.target(name)).info;
  }

  /** ev: the row event that names the table, to tell a MariaDB SEQUENCE from a table when it is missing. */
  private async target(name: string, ev?: RowsEvent): Promise<Target> {
    let t = this.tables.get(name);
    if (t) return t;
    const info = await describeTable(this.opts.session, this.opts.targetSchema, name);
    if (!info) {
      if (ev && isSequenceRow(ev.op === 'update' ? ev.rows[0]?.after : ev.rows[0])) throw sequenceNotSynced(name);
      const message = `table ${name} does not exist in the target database ${this.opts.targetSchema}`;
      throw new SyncError('TARGET_TABLE_MISSING', message, {
        hint: 'Enable schema sync for the pair (schema: true) or create the table on the target, '
          + 'then run the pair again.',
      });
    }
    const outside = await this.outsideLinks(name);
    const parents = cascadingIn(outside);
    if (parents.length) throw splitCascade(name, parents.map((f) => f.table));
    if (outside.length) {
      const others = outside.map((f) => f.table).join(', ');
      this.opts.onWarning?.(`table ${name} has foreign keys to or from tables the pair does not sync (${others}): `
        + 'the target does not check them');
    }
    if (info.keyKind === 'none') this.opts.onWarning?.(keylessWarning(name));
    t = { info, writer: new TableWriter(info), fkSafe: outside.length === 0 };
    this.tables.set(name, t);
    return t;
  }

  /** Open the target transaction (sent with the first statement). */
  private async ensureOpen(): Promise<void> {
    if (this.open) return;
    this.open = true;
    this.holdsEarlierTxns = false;
    await this.pipe.add(START);
  }

  /**
   * A source transaction begins (it may share the open target transaction with earlier ones).
   * `commits`: its COMMIT was already received, so no ROLLBACK can end it: it needs no savepoint,
   * and its INSERTs may join the previous transaction's multi-row INSERT.
   */
  beginSourceTxn(commits = false): void {
    this.txnWrote = false;
    this.txnSavepoint = false;
    this.txnCommits = commits;
  }

  /** First statement of a source transaction in a shared target transaction: mark where it began. */
  private async markTxnStart(): Promise<void> {
    await this.ensureOpen();
    if (this.txnWrote) return;
    this.txnWrote = true;
    if (this.holdsEarlierTxns && !this.txnCommits) {
      await this.flushInserts();
      await this.pipe.add(Buffer.from(`SAVEPOINT ${TXN_SAVEPOINT}`, 'latin1'));
      this.txnSavepoint = true;
    }
  }

  /** The source transaction committed: later ones share this target transaction. */
  endSourceTxn(): void {
    if (this.txnWrote) this.holdsEarlierTxns = true;
    this.txnWrote = false;
    this.txnSavepoint = false;
    this.txnCommits = false;
  }

  /** The source transaction ended in ROLLBACK: undo what it did here. */
  async rollbackSourceTxn(): Promise<void> {
    if (!this.txnWrote) return;
    if (this.txnSavepoint) {
      await this.flushInserts();
      await this.pipe.add(Buffer.from(`ROLLBACK TO SAVEPOINT ${TXN_SAVEPOINT}`, 'latin1'));
    } else {
      await this.rollback();
    }
    this.txnWrote = false;
    this.txnSavepoint = false;
  }

  /** SAVEPOINT / ROLLBACK TO / RELEASE SAVEPOINT from inside a source transaction. */
  async savepoint(op: 'set' | 'rollback-to' | 'release', name: string): Promise<void> {
    if (op !== 'set' && !this.txnWrote) return; // nothing of this transaction reached the target
    await this.markTxnStart();
    await this.flushInserts();
    const id = '`' + name.replace(/`/g, '``') + '`';
    const sql = op === 'set' ? `SAVEPOINT ${id}`
      : op === 'rollback-to' ? `ROLLBACK TO SAVEPOINT ${id}` : `RELEASE SAVEPOINT ${id}`;
    await this.pipe.add(Buffer.from(sql, 'utf8'));
  }

  async applyRows(ev: RowsEvent, mode: TableMode): Promise<void> {
    if (mode === 'skip') return;
    const t = await this.target(ev.table, ev);
    if (!t.info.hiddenColumns?.includes('row_end')) return this.applyTo(t, ev, mode);
    for (const part of currentChanges(ev)) await this.applyTo(t, part, mode);
  }

  private async applyTo(t: Target, ev: RowsEvent, mode: TableMode): Promise<void> {
    const effective = mode === 'exact' && !t.info.transactional && t.info.key.length ? 'idempotent' : mode;
    // the awaits of the row path only where there is work (each costs a promise per event)
    if (!this.open || !this.txnWrote) await this.markTxnStart();
    if (!t.info.transactional) this.wroteNonTransactional = true;
    const fkChecks = ev.fkChecks && t.fkSafe && effective === 'exact';
    if (this.fkChecks !== fkChecks) await this.setFkChecks(fkChecks);
    const images = ev.op === 'update' ? ev.rows.flatMap((r) => [r.before, r.after]) : ev.rows;
    for (const row of images) this.checkShape(t, row);
    if (ev.op === 'insert') {
      for (const row of ev.rows) await this.insert(t, row, effective);
    } else if (ev.op === 'delete') {
      await this.flushInserts();
      for (const row of ev.rows) await this.remove(t, row, effective);
    } else {
      await this.flushInserts();
      for (const { before, after } of ev.rows as Array<{ before: RowImage; after: RowImage }>) {
        await this.update(t, before, after, effective);
      }
    }
    this.rowsApplied += ev.rows.length;
  }

  private checkShape(t: Target, row: RowImage): void {
    const unknown = unknownColumns(t.info, row);
    if (!unknown.length) return;
    const message = `a row of ${t.info.name} has columns the target table lacks: ${unknown.join(', ')}`;
    throw new SyncError('TARGET_SCHEMA_MISMATCH', message, {
      hint: "The target table no longer has the source's shape at this point of the binlog (changed by hand, "
        + 'or schema sync is off). Make it equal (`db-sync plan PAIR`), then restart the pair.',
      details: { table: t.info.name },
    });
  }

  private async insert(t: Target, row: RowImage, mode: TableMode): Promise<void> {
    if (mode === 'idempotent') {
      await this.flushInserts();
      if (t.writer.canMatch(row)) await this.statement(t, t.writer.delete(row), row);
    }
    const cols = presentColumns(t.info, row);
    const tuple = t.writer.tuple(cols, row);
    const head = t.writer.insertHead(cols);
    if (head.length + tuple.length > this.pipe.maxStatement) return this.inParts(t, row, null, mode);
    if (this.hasEnumZero(t, row)) {
      await this.flushInserts();
      return this.lenient(t, Buffer.concat([head, tuple]), row);
    }
    const b = this.batch;
    const over = b !== null && b.bytes + tuple.length + 1 > this.pipe.maxStatement;
    // the writer makes one head per column set: the same head, the same columns
    if (b && (b.t !== t || b.head !== head || over)) {
      await this.flushInserts();
    }
    const cur = (this.batch ??= { t, head, tuples: [], rows: [], bytes: 0 });
    if (!cur.tuples.length) cur.bytes = cur.head.length;
    cur.tuples.push(tuple);
    cur.rows.push(row);
    cur.bytes += tuple.length + 1;
  }

  private async update(t: Target, before: RowImage, after: RowImage, mode: TableMode): Promise<void> {
    this.requireKey(t, before, 'UPDATE');
    if (!presentColumns(t.info, after).length) return;
    const full = t.info.writable.every((c) => c in after);
    if (mode === 'idempotent' && full) {
      await this.statement(t, t.writer.delete(before), before);
      if (t.writer.canMatch(after)) await this.statement(t, t.writer.delete(after), after);
      return this.insert(t, after, 'exact');
    }
    const stmt = t.writer.update(before, after);
    if (stmt.length > this.pipe.maxStatement) return this.inParts(t, after, before, mode);
    if (this.hasEnumZero(t, after)) return this.lenient(t, stmt, after, this.checked(t, mode, 'UPDATE'), before);
    await this.statement(t, stmt, before, this.checked(t, mode, 'UPDATE'));
  }

  private async remove(t: Target, before: RowImage, mode: TableMode): Promise<void> {
    this.requireKey(t, before, 'DELETE');
    await this.statement(t, t.writer.delete(before), before, this.checked(t, mode, 'DELETE'));
  }

  /**
   * A row whose statement exceeds the packet: written with its largest values empty, then
   * those values appended in chunks (UPDATE ... CONCAT), all in the open transaction. Each
   * value must itself fit max_allowed_packet (the server's limit for any value).
   */
  private async inParts(t: Target, row: RowImage, before: RowImage | null, mode: TableMode): Promise<void> {
    for (const c of presentColumns(t.info, row)) {
      const v = row[c];
      if (Buffer.isBuffer(v) && v.length > this.opts.maxPacket - PACKET_SLACK) {
        throw valueTooLarge(t.info.name, c, v.length, this.opts.maxPacket);
      }
    }
    const parts = t.info.key.length ? t.writer.split(row, Math.floor((this.pipe.maxStatement - 4096) / 2)) : null;
    const cols = presentColumns(t.info, row);
    const insert = (image: RowImage) => Buffer.concat([t.writer.insertHead(cols), t.writer.tuple(cols, image)]);
    if (!parts) return this.statement(t, before ? t.writer.update(before, row) : insert(row), row);
    await this.flushInserts();
    if (before) await this.statement(t, t.writer.update(before, parts.first), before, this.checked(t, mode, 'UPDATE'));
    else await this.statement(t, insert(parts.first), row);
    for (const [col, chunks] of parts.parts) {
      for (const piece of chunks) await this.statement(t, t.writer.append(row, col, piece), row);
    }
  }

  /**
   * Whether an UPDATE/DELETE must find its row (TARGET_ROW_MISSING otherwise). Not for a
   * non-transactional table without a key: it is read outside the snapshot's consistent view
   * and a kill -9 may apply its last changes twice, so it may drift (docs/data.md; status says
   * so); a missing row there is that documented drift, not a target changed by hand.
   */
  private checked(t: Target, mode: TableMode, op: 'UPDATE' | 'DELETE'): 'UPDATE' | 'DELETE' | undefined {
    if (mode !== 'exact') return undefined;
    return t.info.transactional || t.info.key.length ? op : undefined;
  }

  private requireKey(t: Target, before: RowImage, op: string): void {
    if (t.writer.canMatch(before)) return;
    const which = t.info.key.length ? 'whose key is not in the image' : 'without a primary or unique key';
    throw new SyncError('BINLOG_ROW_IMAGE_PARTIAL', `an ${op} on ${t.info.name} arrived without the columns that `
      + `identify the row (binlog_row_image=MINIMAL or NOBLOB on a table ${which})`, {
      hint: 'Set binlog_row_image=FULL on the source (SET GLOBAL binlog_row_image=FULL and in its config) and make '
        + 'sure no session sets it to MINIMAL/NOBLOB; then re-copy the table: `db-sync sync run PAIR --recopy TABLE`.',
      details: { table: t.info.name },
    });
  }

  /** ENUM index 0 (the '' error value) is only accepted outside strict mode: one statement without it. */
  private hasEnumZero(t: Target, row: RowImage): boolean {
    return t.info.columns.some((c) => c.dataType === 'enum' && (row[c.name] === 0 || row[c.name] === '0'));
  }

  private async lenient(t: Target, stmt: Buffer, row: RowImage, check?: 'UPDATE' | 'DELETE',
    before?: RowImage): Promise<void> {
    const mode = APPLY_SQL_MODE.split(',').filter((m) => !m.startsWith('STRICT')).join(',');
    await this.pipe.add(Buffer.from(`SET SESSION sql_mode = '${mode}'`, 'latin1'));
    await this.statement(t, stmt, before ?? row, check);
    await this.pipe.add(Buffer.from(`SET SESSION sql_mode = '${APPLY_SQL_MODE}'`, 'latin1'));
  }

  private async statement(t: Target, stmt: Buffer, row: RowImage, check?: 'UPDATE' | 'DELETE'): Promise<void> {
    if (this.batch) await this.flushInserts();
    const key = () => describeKey(t.info, row);
    await this.pipe.add(stmt, { table: t.info.name, check, describe: () => `${t.info.name} (${key()})` });
  }

  async flushInserts(): Promise<void> {
    const b = this.batch;
    this.batch = null;
    if (!b || !b.tuples.length) return;
    const parts: Buffer[] = [b.head];
    b.tuples.forEach((tuple, i) => { if (i) parts.push(COMMA); parts.push(tuple); });
    const [first, last] = [b.rows[0] as RowImage, b.rows[b.rows.length - 1] as RowImage];
    const keys = b.rows.length === 1 ? describeKey(b.t.info, first)
      : `${describeKey(b.t.info, first)} … ${describeKey(b.t.info, last)}`;
    await this.pipe.add(Buffer.concat(parts), { table: b.t.info.name, describe: () => `${b.t.info.name} (${keys})` });
  }

  private async setFkChecks(on: boolean): Promise<void> {
    if (this.fkChecks === on) return;
    await this.flushInserts();
    await this.pipe.add(Buffer.from(`SET SESSION foreign_key_checks = ${on ? 1 : 0}`, 'latin1'));
    this.fkChecks = on;
  }

  /** The session's foreign_key_checks was changed by someone else (DDL replay, chunk loading). */
  forgetFkChecks(): void {
    this.fkChecks = null;
  }

  /**
   * TRUNCATE from the binlog, as a DELETE in the open transaction (it commits with the
   * checkpoint after it). Foreign keys unchecked: TRUNCATE never cascades on the source.
   */
  async truncate(table: string): Promise<void> {
    const t = await this.target(table);
    await this.ensureOpen();
    await this.setFkChecks(false);
    const del = Buffer.concat([Buffer.from('DELETE FROM ', 'latin1'), t.writer.target]);
    await this.pipe.add(del, { table, describe: () => `TRUNCATE ${table}` });
  }

  /** Write the checkpoint(s) in the open transaction (opening one if needed) and commit. */
  async commit(checkpoints: Array<[stream: string, state: unknown]>, extra: Buffer[] = []): Promise<void> {
    if (!this.open) await this.ensureOpen();
    try {
      if (this.batch) await this.flushInserts();
      for (const st of extra) await this.pipe.add(st);
      for (const [stream, state] of checkpoints) await this.pipe.add(checkpointBytes(this.opts.pair, stream, state));
      await this.pipe.add(COMMIT);
      await this.pipe.send();
    } catch (err) {
      await this.rollback();
      throw err;
    } finally {
      this.finish();
    }
  }

  private finish(): void {
    this.open = false;
    this.holdsEarlierTxns = false;
    this.txnWrote = false;
    this.txnSavepoint = false;
    this.txnCommits = false;
    this.wroteNonTransactional = false;
    this.batch = null;
    this.pipe.reset();
  }

  async rollback(): Promise<void> {
    const sent = this.open;
    this.finish();
    this.fkChecks = null;
    if (!sent) return;
    try {
      await this.opts.session.send(Buffer.from('ROLLBACK', 'latin1'));
    } catch {
      // connection gone: the server rolls the transaction back itself
    }
  }
}

const COMMA = Buffer.from(',', 'latin1');

/** A multi-row INSERT under construction: its head, row tuples, the rows and the bytes so far. */
interface InsertBatch {
  t: Target;
  /** INSERT INTO ... (columns) VALUES: one per column set (TableWriter.insertHead). */
  head: Buffer;
  tuples: Buffer[];
  rows: RowImage[];
  bytes: number;
}

function valueTooLarge(table: string, column: string, bytes: number, maxPacket: number): SyncError {
  return new SyncError('ROW_TOO_LARGE', `a value of ${bytes} bytes in ${table}.${column} is larger than the target's `
    + `max_allowed_packet (${maxPacket}): the target cannot hold it`, {
    hint: `Raise max_allowed_packet on the target to at least ${bytes + PACKET_SLACK} `
      + '(SET GLOBAL max_allowed_packet = ...; and in its config), then restart the pair.',
    details: { table, column },
  });
}

/**
 * A synced table whose rows the source changes through a cascade from a table the pair does
 * not sync: those changes are in no binlog event and the target cannot cascade them.
 */
/** Parents whose ON DELETE/UPDATE changes this table's rows (of links outside the pair). */
function cascadingIn(outside: ForeignKeyLink[]): ForeignKeyLink[] {
  return outside.filter((f) => f.role === 'parent' && f.cascades);
}

function splitCascade(table: string, parents: string[]): SyncError {
  return new SyncError('FK_CASCADE_OUT_OF_SCOPE', `table ${table} has foreign keys with ON DELETE/UPDATE CASCADE `
    + `or SET NULL to ${parents.join(', ')}, which the pair does not sync: the source changes ${table} through them `
    + 'without binlog events, so the target would drift', {
    hint: 'Sync the parent table(s) too (`db-sync sync edit PAIR --include ...` / remove the exclude), '
      + `or exclude ${table} as well.`,
    details: { table, parents },
  });
}


/** Key columns and values for error messages (values only, never whole rows). */
export function describeKey(t: TableInfo, row: RowImage): string {
  const cols = t.key.length ? t.key : t.writable.slice(0, 3);
  return cols.map((c) => `${c}=${shortValue(row[c])}`).join(', ');
}

function shortValue(v: unknown): string {
  if (Buffer.isBuffer(v)) {
    const text = v.toString('utf8');
    if (!text.includes('\uFFFD') && !/[\x00-\x1f]/.test(text)) return text.length > 40 ? `${text.slice(0, 40)}…` : text;
    return `0x${v.subarray(0, 16).toString('hex')}${v.length > 16 ? '…' : ''}`;
  }
  const s = v === null || v === undefined ? 'NULL' : String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** The columns of a MariaDB SEQUENCE's one row, as its NEXTVAL, SETVAL and ALTER log it. */
const SEQUENCE_COLUMNS = ['next_not_cached_value', 'minimum_value', 'maximum_value', 'start_value', 'increment',
  'cache_size', 'cycle_option', 'cycle_count'];

function isSequenceRow(image: RowImage | undefined): boolean {
  if (!image) return false;
  const names = Object.keys(image);
  return names.length === SEQUENCE_COLUMNS.length && SEQUENCE_COLUMNS.every((c) => c in image);
}

/** A row change of a source SEQUENCE: db-sync does not create sequences (README, "Limitations"). */
function sequenceNotSynced(name: string): SyncError {
  return new SyncError('SEQUENCE_NOT_SYNCED', `${name} is a SEQUENCE on the source (its NEXTVAL logged a row change), `
    + 'and db-sync does not sync sequences', {
    hint: `Exclude it from the pair: db-sync sync edit PAIR --exclude ${name} (--exclude replaces the list: repeat `
      + 'the patterns it had), then run the pair again. The values NEXTVAL hands out still arrive in the rows that '
      + 'use them; at cut-over create the sequence on the target, starting at the source\'s next value '
      + `(SELECT next_not_cached_value FROM ${name} on the source).`,
  });
}
