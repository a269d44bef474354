/**
 * The little introspection verify and polling need, read from information_schema: the
 * column list with types (to build the canonical checksum expression), the primary key
 * (chunking and row identity), generated columns (never written) and ON UPDATE
 * CURRENT_TIMESTAMP columns (polling's change-timestamp candidates).
 */
import { queryRows, type Db } from '../db/connection.js';

export interface ColumnInfo {
  name: string;
  /** information_schema DATA_TYPE, lower case: int, varchar, blob, datetime, ... */
  dataType: string;
  nullable: boolean;
  generated: boolean;
  onUpdateTimestamp: boolean;
}

export interface TableInfo {
  schema: string;
  name: string;
  columns: ColumnInfo[];
  /** Primary-key columns in key order; empty when the table has none. */
  pk: string[];
  /** Columns that lead some index (polling needs an index on the timestamp column to stay cheap). */
  indexedFirst: string[];
}

interface ColumnRow { name: string; dataType: string; nullable: string; extra: string | null; def: string | null }

export async function listBaseTables(db: Db, schema: string): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(db,
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", [schema]);
  return rows.map((r) => r.name);
}

export async function loadTableInfo(db: Db, schema: string, table: string): Promise<TableInfo | null> {
  const cols = await queryRows<ColumnRow>(db,
    `SELECT COLUMN_NAME AS name, LOWER(DATA_TYPE) AS dataType, IS_NULLABLE AS nullable, EXTRA AS extra, COLUMN_DEFAULT AS def
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [schema, table]);
  if (cols.length === 0) return null;
  const keys = await queryRows<{ idx: string; col: string; seq: number }>(db,
    `SELECT INDEX_NAME AS idx, COLUMN_NAME AS col, SEQ_IN_INDEX AS seq FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`, [schema, table]);
  return {
    schema,
    name: table,
    columns: cols.map(toColumn),
    pk: keys.filter((k) => k.idx === 'PRIMARY').map((k) => k.col),
    indexedFirst: keys.filter((k) => Number(k.seq) === 1).map((k) => k.col),
  };
}

function toColumn(r: ColumnRow): ColumnInfo {
  const extra = (r.extra ?? '').toLowerCase();
  return {
    name: r.name,
    dataType: r.dataType,
    nullable: r.nullable === 'YES',
    // MySQL: "VIRTUAL GENERATED"/"STORED GENERATED"; MariaDB also "PERSISTENT GENERATED".
    generated: extra.includes('generated') || extra.includes('persistent') || extra.includes('virtual'),
    onUpdateTimestamp: /on update (current_timestamp|now)/.test(extra),
  };
}

/** Column names whose sets differ between two tables (schema drift that makes checksums meaningless). */
export function columnDrift(a: TableInfo, b: TableInfo): string[] {
  const render = (t: TableInfo) => new Map(t.columns.map((c) => [c.name, c.dataType]));
  const ma = render(a);
  const mb = render(b);
  const out: string[] = [];
  for (const [name, type] of ma) {
    if (!mb.has(name)) out.push(`column ${name} missing on target`);
    else if (mb.get(name) !== type) out.push(`column ${name} is ${type} on source, ${mb.get(name)} on target`);
  }
  for (const name of mb.keys()) if (!ma.has(name)) out.push(`column ${name} exists only on target`);
  if (a.pk.join(',') !== b.pk.join(',')) out.push(`primary key (${a.pk.join(', ')}) on source, (${b.pk.join(', ')}) on target`);
  return out;
}
