/**
 * Table introspection for every part that reads or writes rows (data engine, verify,
 * repair, polling): one information_schema read of the columns and one of the index parts.
 * - columns with type, nullability, generated (never written: the target recomputes them)
 *   and ON UPDATE CURRENT_TIMESTAMP (polling's change-timestamp candidates);
 * - the key rows are matched, chunked and repaired by: PRIMARY KEY, else the first (by index
 *   name) UNIQUE key whose columns are all NOT NULL and not generated, else none (full-image
 *   match in the data engine, whole-table checksum in verify);
 * - the columns that lead some index (polling wants its timestamp column indexed).
 */
import { type Queryable } from './connection.js';

/** A column's type as information_schema.COLUMNS gives it (shared with schema/model.ts). */
export interface ColumnType {
  /** information_schema DATA_TYPE, lower case: int, varchar, blob, datetime, ... */
  dataType: string;
  nullable: boolean;
  /** Character set and collation of text columns (null for others). */
  charset: string | null;
  collation: string | null;
}

/** A column as the row readers and writers need it. */
export interface ColumnInfo extends ColumnType {
  name: string;
  generated: boolean;
  onUpdateTimestamp: boolean;
}

/** A foreign key between this table and another one of the same database (either direction). */
export interface ForeignKeyLink {
  /** The other table. */
  table: string;
  /** 'parent': this table references `table`; 'child': `table` references this table. */
  role: 'parent' | 'child';
  /** The other table lives in another database. */
  otherDatabase: boolean;
  /** ON DELETE / ON UPDATE change the child's rows (CASCADE, SET NULL, SET DEFAULT). */
  cascades: boolean;
}

export type KeyKind = 'primary' | 'unique' | 'none';

export interface TableInfo {
  schema: string;
  name: string;
  columns: ColumnInfo[];
  /** Columns written by db-sync (not generated), in table order. */
  writable: string[];
  /** Key columns in index order; empty when the table has no usable key. */
  key: string[];
  /** Every key that identifies a row (`key` first): a partial row image may carry another one. */
  uniqueKeys?: string[][];
  keyKind: KeyKind;
  /** Columns that lead some index. */
  indexedFirst: string[];
  /** Storage engine supports transactions (InnoDB): changes roll back with the transaction. */
  transactional: boolean;
  /**
   * Columns row events carry that information_schema does not list and db-sync neither writes
   * nor compares: a SYSTEM VERSIONED table's implicit row_start/row_end (each server keeps its
   * own history).
   */
  hiddenColumns?: string[];
}

/** One index part; `nullable` is the column's IS_NULLABLE ('YES'/'NO'). */
export interface KeyRow { idx: string; col: string; nullable: string; seq: number; non_unique: number }

interface ColRow {
  name: string; data_type: string; nullable: string; extra: string | null; generated: string | null;
  charset: string | null; collation: string | null;
}
/** The columns MariaDB adds to a table created WITH SYSTEM VERSIONING without naming them. */
const IMPLICIT_PERIOD = ['row_start', 'row_end'];

interface IndexRow { idx: string; col: string | null; seq: number; non_unique: number }

export async function describeTable(db: Queryable, schema: string, table: string): Promise<TableInfo | null> {
  const cols = await db.rows<ColRow>(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS data_type, IS_NULLABLE AS nullable, EXTRA AS extra,
            IS_GENERATED AS generated,
            CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [schema, table]);
  if (cols.length === 0) return null;
  const [engine] = await db.rows<{ engine: string | null; type: string }>('SELECT ENGINE AS engine, TABLE_TYPE AS type '
    + 'FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [schema, table]);
  const columns = cols.map(toColumn);
  const parts = await db.rows<IndexRow>(
    `SELECT INDEX_NAME AS idx, COLUMN_NAME AS col, SEQ_IN_INDEX AS seq, NON_UNIQUE AS non_unique
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
      ORDER BY INDEX_NAME, SEQ_IN_INDEX`, [schema, table]);
  const nullable = new Map(columns.map((c) => [c.name, c.nullable ? 'YES' : 'NO']));
  // A functional key part (MySQL 8) has no column name: it never makes a usable key.
  const keyRows = parts.map((p) => ({
    ...p, col: p.col as string, nullable: p.col === null ? 'YES' : nullable.get(p.col) ?? 'YES',
  }));
  const generated = new Set(columns.filter((c) => c.generated).map((c) => c.name));
  const { key, keyKind } = chooseKey(keyRows, generated);
  return {
    schema, name: table, columns, key, keyKind, uniqueKeys: usableKeys(keyRows, generated).map((k) => k.columns),
    writable: columns.filter((c) => !c.generated).map((c) => c.name),
    indexedFirst: [...new Set(parts.filter((p) => Number(p.seq) === 1 && p.col !== null).map((p) => p.col as string))],
    transactional: isTransactional(engine?.engine ?? null),
    ...(engine?.type === 'SYSTEM VERSIONED' ? { hiddenColumns: IMPLICIT_PERIOD.filter((c) => !generated.has(c)) } : {}),
  };
}

/** Engines whose changes roll back with a transaction (unknown engines count as not). */
export function isTransactional(engine: string | null): boolean {
  return engine !== null && /^(InnoDB|XtraDB|TokuDB|RocksDB|NDB|NDBCLUSTER)$/i.test(engine);
}

/**
 * Every foreign key linking a table of `schema` with another table, by table, in both
 * directions. Two queries with the schema as a constant: MariaDB then opens only that
 * schema's tables for the first; the second (children in other databases) reads every
 * database once. One query per table with an OR over both sides read every database's tables
 * for each table (0.25-0.36 s per call with 2,000 tables): callers read this once and keep it
 * until the schema changes.
 */
export async function foreignKeyLinks(db: Queryable, schema: string): Promise<Map<string, ForeignKeyLink[]>> {
  type FkRow = { tschema: string; tname: string; rschema: string; rname: string; del: string; upd: string };
  const cols = `SELECT CONSTRAINT_SCHEMA AS tschema, TABLE_NAME AS tname, UNIQUE_CONSTRAINT_SCHEMA AS rschema,
            REFERENCED_TABLE_NAME AS rname, DELETE_RULE AS del, UPDATE_RULE AS upd
       FROM information_schema.REFERENTIAL_CONSTRAINTS`;
  const own = await db.rows<FkRow>(`${cols} WHERE CONSTRAINT_SCHEMA = ?`, [schema]);
  const foreign = await db.rows<FkRow>(`${cols} WHERE UNIQUE_CONSTRAINT_SCHEMA = ? AND CONSTRAINT_SCHEMA <> ?`,
    [schema, schema]);
  const out = new Map<string, ForeignKeyLink[]>();
  const add = (table: string, link: ForeignKeyLink) => {
    const list = out.get(table) ?? [];
    list.push(link);
    out.set(table, list);
  };
  for (const r of [...own, ...foreign]) {
    const cascades = [r.del, r.upd].some((rule) => /CASCADE|SET NULL|SET DEFAULT/i.test(rule));
    const otherDatabase = r.tschema !== r.rschema;
    if (r.tschema === schema) add(r.tname, { table: r.rname, role: 'parent', otherDatabase, cascades });
    if (r.rschema === schema) add(r.rname, { table: r.tname, role: 'child', otherDatabase, cascades });
  }
  return out;
}

function toColumn(c: ColRow): ColumnInfo {
  const extra = c.extra ?? '';
  return {
    name: c.name,
    dataType: c.data_type.toLowerCase(),
    nullable: c.nullable === 'YES',
    // MySQL 8 marks expression defaults "DEFAULT_GENERATED": not a generated column.
    generated: c.generated === 'ALWAYS' || /\b(VIRTUAL|STORED|PERSISTENT)\b/i.test(extra),
    onUpdateTimestamp: /on update (current_timestamp|now)/i.test(extra),
    charset: c.charset,
    collation: c.collation,
  };
}

/** PRIMARY first, then the first unique index with only NOT NULL, non-generated columns. */
export function chooseKey(rows: KeyRow[], generated: Set<string>): { key: string[]; keyKind: KeyKind } {
  const [first] = usableKeys(rows, generated);
  if (!first) return { key: [], keyKind: 'none' };
  return { key: first.columns, keyKind: first.name === 'PRIMARY' ? 'primary' : 'unique' };
}

/** Every key that identifies a row (PRIMARY, then NOT NULL non-generated UNIQUE keys by name). */
export function usableKeys(rows: KeyRow[], generated: Set<string>): Array<{ name: string; columns: string[] }> {
  const byIndex = new Map<string, KeyRow[]>();
  for (const r of rows) if (Number(r.non_unique) === 0) byIndex.set(r.idx, [...(byIndex.get(r.idx) ?? []), r]);
  const ordered = [...byIndex]
    .sort(([a], [b]) => (a === 'PRIMARY' ? -1 : b === 'PRIMARY' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return ordered
    .filter(([, parts]) => parts.every((p) => p.nullable === 'NO' && p.col !== null && !generated.has(p.col)))
    .map(([name, parts]) => ({ name, columns: parts.sort((a, b) => a.seq - b.seq).map((p) => p.col) }));
}

/**
 * The one table lister: the base tables of a database (null: the session's current one) that
 * pass the filter (table-filter.ts), by name. SYSTEM VERSIONED tables (MariaDB temporal tables)
 * are base tables too: the schema step creates them, and their current rows are copied,
 * streamed and verified like any table's (the target keeps its own history).
 */
export async function listSyncedTables(db: Queryable, schema: string | null,
  filter: (table: string) => boolean): Promise<string[]> {
  const rows = await db.rows<{ name: string }>('SELECT TABLE_NAME AS name FROM information_schema.TABLES '
    + `WHERE TABLE_SCHEMA = ${schema === null ? 'DATABASE()' : '?'} `
    + "AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') "
    + 'ORDER BY TABLE_NAME', schema === null ? [] : [schema]);
  return rows.map((r) => r.name).filter(filter);
}
