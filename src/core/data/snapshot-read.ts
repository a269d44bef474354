/**
 * Opening the snapshot's consistent read together with the table list and the table
 * definitions that belong to it, and telling later whether a table still has that definition.
 *
 * Why: information_schema and SHOW CREATE TABLE show the tables as they are now, not as of
 * the read's position P, and InnoDB answers a consistent read of a table changed after P in
 * the new shape (instant ALTER) or with ER_TABLE_DEF_CHANGED (a table created or rebuilt
 * after P). A table copied in a shape other than its shape at P would then meet its own DDL
 * again in the stream from P. So the list and definitions are read right after the read
 * opens, and the read is opened again when a statement other than DML was logged in between;
 * a table whose definition differs when it is copied (or whose read fails with
 * ER_TABLE_DEF_CHANGED) is copied later from a newer read (snapshot-runner.ts).
 */
import type { Db } from '../db/connection.js';
import { isMissingTable } from '../db/db-errors.js';
import type { Flavor } from '../db/flavor.js';
import { quoteId, quoteString } from '../db/quote.js';
import { listSyncedTables } from '../db/table-info.js';
import type { Logger } from '../log.js';
import type { BinlogPosition } from './events.js';
import { serverPosition, startConsistentSnapshot } from './position.js';

export interface SnapshotRead {
  at: BinlogPosition;
  tables: string[];
  /** SHOW CREATE TABLE of each listed table (AUTO_INCREMENT= removed), as of the read. */
  shapes: Map<string, string>;
}

const ATTEMPTS = 10;
/** Statements in a binlog Query event that change no table definition. */
const NOT_DDL = /^(?:use\s+(?:`[^`]*`|\S+)\s*;\s*)?(?:BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE\s+SAVEPOINT|XA\s)/i;

export async function openSnapshotRead(db: Db, flavor: Flavor, schema: string, inScope: (t: string) => boolean,
  logger: Logger): Promise<SnapshotRead> {
  let afterRotation = false;
  for (let attempt = 1; ; attempt++) {
    const at = await startConsistentSnapshot(db, flavor);
    const tables = await listSyncedTables(db, schema, inScope);
    const shapes = new Map<string, string>();
    for (const t of tables) {
      const shape = await definition(db, schema, t);
      if (shape !== null) shapes.set(t, shape);
    }
    const after = await serverPosition(db, flavor);
    const retry: string | null = attempt === ATTEMPTS ? null
      : await statementBetween(db, at, after) ? 'a statement was logged while the read opened'
        : !afterRotation && await atFileStart(db, at) ? 'the read began right after a binlog rotation' : null;
    if (!retry) return { at, tables, shapes };
    afterRotation ||= retry.includes('rotation');
    await db.exec('COMMIT');
    logger.info({ attempt, at: `${at.file}:${at.pos}` }, `snapshot: ${retry}; opening it again`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Whether P is the start of a binlog file (no transaction of the file before it). MariaDB
 * (seen on 10.11) moves the reported snapshot position to the new file when the binlog
 * rotates, which the group commit does before the last transactions of the old file are
 * committed in InnoDB: a read opened in that instant misses them (fuzzer seed 20261130: a
 * 4 MB row, the last of its file, absent from the copy). Opened again a moment later, the
 * read sees them.
 */
async function atFileStart(db: Db, at: BinlogPosition): Promise<boolean> {
  const events = await db.rows<{ Event_type: string; End_log_pos: number | string }>(
    `SHOW BINLOG EVENTS IN ${quoteString(at.file)} LIMIT 8`);
  return !events.some((e) => Number(e.End_log_pos) <= at.pos && /^(Gtid|Query|Xid)$/.test(e.Event_type));
}

/** The table's SHOW CREATE TABLE now (null when it does not exist). */
export async function definition(db: Db, schema: string, table: string): Promise<string | null> {
  try {
    const [row] = await db.rows<Record<string, string>>(
      `SHOW CREATE TABLE ${quoteId(schema)}.${quoteId(table)}`);
    return String(row?.['Create Table'] ?? '').replace(/ AUTO_INCREMENT=\d+/, '');
  } catch (err) {
    if (isMissingTable(err)) return null;
    throw err;
  }
}

/** Whether a Query event other than transaction control lies between the two positions. */
async function statementBetween(db: Db, from: BinlogPosition, to: BinlogPosition): Promise<boolean> {
  if (from.file !== to.file) return true;
  if (from.pos >= to.pos) return false;
  const events = await db.rows<{ Event_type: string; Info: string | null; End_log_pos: number | string }>(
    `SHOW BINLOG EVENTS IN ${quoteString(from.file)} FROM ${Math.floor(from.pos)} LIMIT 10000`);
  return events.some((e) => Number(e.End_log_pos) <= to.pos && e.Event_type === 'Query'
    && !NOT_DDL.test(e.Info ?? ''));
}
