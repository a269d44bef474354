/**
 * Table introspection the data engine needs: the columns it writes (generated columns are
 * never written, the target recomputes them) and the key it matches rows by (PRIMARY KEY,
 * else the first UNIQUE key whose columns are all NOT NULL, else none: full-image match).
 * Reusable by verify/poll.
 */
import { queryRows, type Db } from './connection.js';

export interface ColumnInfo {
  name: string;
  dataType: string;
  generated: boolean;
}

export interface TableInfo {
  schema: string;
  name: string;
  columns: ColumnInfo[];
  /** Columns written by db-sync (not generated), in table order. */
  writable: string[];
  /** Key columns in index order; empty when the table has no usable key. */
  key: string[];
  keyKind: 'primary' | 'unique' | 'none';
}

interface ColRow { name: string; data_type: string; extra: string; generated: string | null }
interface KeyRow { idx: string; col: string; nullable: string; seq: number; non_unique: number }

export async function describeTable(db: Db, schema: string, table: string): Promise<TableInfo | null> {
  const cols = await queryRows<ColRow>(db,
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS data_type, EXTRA AS extra, IS_GENERATED AS generated
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [schema, table]);
  if (cols.length === 0) return null;
  const columns = cols.map((c) => ({
    name: c.name, dataType: c.data_type.toLowerCase(),
    generated: c.generated === 'ALWAYS' || /VIRTUAL|STORED|PERSISTENT/i.test(c.extra ?? ''),
  }));
  const keys = await queryRows<KeyRow>(db,
    `SELECT s.INDEX_NAME AS idx, s.COLUMN_NAME AS col, c.IS_NULLABLE AS nullable, s.SEQ_IN_INDEX AS seq, s.NON_UNIQUE AS non_unique
       FROM information_schema.STATISTICS s JOIN information_schema.COLUMNS c
         ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
      WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ? AND s.NON_UNIQUE = 0 ORDER BY s.INDEX_NAME = 'PRIMARY' DESC, s.INDEX_NAME, s.SEQ_IN_INDEX`, [schema, table]);
  const { key, keyKind } = chooseKey(keys, new Set(columns.filter((c) => c.generated).map((c) => c.name)));
  return { schema, name: table, columns, writable: columns.filter((c) => !c.generated).map((c) => c.name), key, keyKind };
}

/** PRIMARY first, then the first unique index with only NOT NULL, non-generated, full columns. */
export function chooseKey(rows: KeyRow[], generated: Set<string>): { key: string[]; keyKind: TableInfo['keyKind'] } {
  const byIndex = new Map<string, KeyRow[]>();
  for (const r of rows) byIndex.set(r.idx, [...(byIndex.get(r.idx) ?? []), r]);
  const ordered = [...byIndex].sort(([a], [b]) => (a === 'PRIMARY' ? -1 : b === 'PRIMARY' ? 1 : 0));
  for (const [name, parts] of ordered) {
    const usable = parts.every((p) => p.nullable === 'NO' && p.col !== null && !generated.has(p.col));
    if (!usable) continue;
    return { key: parts.sort((a, b) => a.seq - b.seq).map((p) => p.col), keyKind: name === 'PRIMARY' ? 'primary' : 'unique' };
  }
  return { key: [], keyKind: 'none' };
}

/** Base tables of a database that pass the pair's table filter (pair/table-filter.ts). */
export async function listSyncedTables(db: Db, schema: string, filter: (table: string) => boolean): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(db,
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", [schema]);
  return rows.map((r) => r.name).filter(filter);
}
