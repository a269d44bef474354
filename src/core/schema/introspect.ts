/**
 * Reads base tables of the connection's database: SHOW CREATE TABLE per table (the text the
 * server itself normalises) plus information_schema.COLUMNS for type facts.
 */
import type { Db } from '../db/connection.js';
import { quoteId } from '../db/quote.js';
import { listSyncedTables } from '../db/table-info.js';
import { SyncError } from '../errors.js';
import type { ColumnTypeDetail, TableDef } from './model.js';
import { parseCreateTable } from './parse-create-table.js';

export interface IntrospectOptions {
  /** Which tables take part (include/exclude filters, internal tables). */
  filter: (table: string) => boolean;
  /** Only these names (after DDL seen in the stream); all when absent. */
  only?: string[];
}

interface ColumnRow {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  COLUMN_TYPE: string;
  DATA_TYPE: string;
  CHARACTER_MAXIMUM_LENGTH: string | null;
  NUMERIC_PRECISION: string | null;
  NUMERIC_SCALE: string | null;
  DATETIME_PRECISION: string | null;
  CHARACTER_SET_NAME: string | null;
  COLLATION_NAME: string | null;
  IS_NULLABLE: string;
}

const num = (v: string | null) => (v === null ? null : Number(v));

function toInfo(r: ColumnRow): ColumnTypeDetail {
  return {
    columnType: r.COLUMN_TYPE, dataType: r.DATA_TYPE.toLowerCase(), charMaxLength: num(r.CHARACTER_MAXIMUM_LENGTH),
    numericPrecision: num(r.NUMERIC_PRECISION), numericScale: num(r.NUMERIC_SCALE),
    datetimePrecision: num(r.DATETIME_PRECISION),
    charset: r.CHARACTER_SET_NAME, collation: r.COLLATION_NAME, nullable: r.IS_NULLABLE === 'YES',
  };
}

/** Base table names of the current database that pass the filter. */
export async function listTables(db: Db, opts: IntrospectOptions): Promise<string[]> {
  const only = opts.only ? new Set(opts.only) : null;
  return listSyncedTables(db, null, (n) => opts.filter(n) && (!only || only.has(n)));
}

async function columnInfos(db: Db, tables: string[]): Promise<Map<string, Map<string, ColumnTypeDetail>>> {
  const out = new Map<string, Map<string, ColumnTypeDetail>>();
  if (tables.length === 0) return out;
  const rows = await db.rows<ColumnRow>(
    `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE,
            DATETIME_PRECISION, CHARACTER_SET_NAME, COLLATION_NAME, IS_NULLABLE
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)`, [tables]);
  for (const r of rows) {
    let t = out.get(r.TABLE_NAME);
    if (!t) out.set(r.TABLE_NAME, (t = new Map()));
    t.set(r.COLUMN_NAME, toInfo(r));
  }
  return out;
}

export async function introspectTables(db: Db, opts: IntrospectOptions): Promise<TableDef[]> {
  const names = await listTables(db, opts);
  const infos = await columnInfos(db, names);
  const tables: TableDef[] = [];
  for (const name of names) {
    let createSql: string;
    try {
      const rows = await db.rows<Record<string, string>>(`SHOW CREATE TABLE ${quoteId(name)}`);
      createSql = rows[0]?.['Create Table'] ?? '';
    } catch (err) {
      // Dropped between the listing and now (concurrent DDL): the next check sees it.
      const gone = (err as { code?: string }).code === 'DB_UNKNOWN_TABLE'
        || /doesn't exist/.test(String((err as Error).message));
      if (gone) continue;
      throw err;
    }
    const parsed = parseOrFail(name, createSql);
    const colInfo = infos.get(name) ?? new Map<string, ColumnTypeDetail>();
    tables.push({
      ...parsed,
      columns: parsed.columns.map((c) => ({ ...c, info: colInfo.get(c.name) ?? blankInfo() })),
    });
  }
  return tables;
}

function parseOrFail(name: string, createSql: string): ReturnType<typeof parseCreateTable> {
  try {
    return parseCreateTable(createSql);
  } catch (err) {
    const why = (err as Error).message;
    throw new SyncError('SCHEMA_UNSUPPORTED', `cannot read the definition of table ${quoteId(name)}: ${why}`, {
      hint: 'Exclude the table with the pair\'s filters (`db-sync sync edit PAIR --exclude ...`) '
        + 'and report the server version and its SHOW CREATE TABLE output.',
      cause: err,
    });
  }
}

function blankInfo(): ColumnTypeDetail {
  return {
    columnType: '', dataType: '', charMaxLength: null, numericPrecision: null, numericScale: null,
    datetimePrecision: null, charset: null, collation: null, nullable: true,
  };
}
