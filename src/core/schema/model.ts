/**
 * A table as db-sync compares it: the server's own SHOW CREATE TABLE text split into parts
 * (the server normalises spelling, so equal text means equal definition), plus the
 * information_schema facts needed to judge whether a column change can lose data.
 */
import type { ColumnType } from '../db/table-info.js';

/** A column's type in the detail a change's data-loss check needs. */
export interface ColumnTypeDetail extends ColumnType {
  /** information_schema COLUMN_TYPE, e.g. `int(10) unsigned`, `varchar(20)`. */
  columnType: string;
  charMaxLength: number | null;
  numericPrecision: number | null;
  numericScale: number | null;
  datetimePrecision: number | null;
}

export interface ColumnDef {
  name: string;
  /** The column's line in SHOW CREATE TABLE, without the trailing comma. */
  sql: string;
  info: ColumnTypeDetail;
}

export interface NamedPart {
  name: string;
  sql: string;
}

export interface TableDef {
  name: string;
  columns: ColumnDef[];
  /** `PRIMARY KEY (...)` line or null. */
  primaryKey: string | null;
  /** UNIQUE / KEY / FULLTEXT / SPATIAL lines by index name. */
  indexes: NamedPart[];
  foreignKeys: NamedPart[];
  checks: NamedPart[];
  /** Table options after `) `, e.g. ENGINE=InnoDB DEFAULT CHARSET=..., AUTO_INCREMENT removed. */
  options: string;
  /** Partition clause (PARTITION BY ...), MySQL version comments removed; null when none. */
  partition: string | null;
  /** SHOW CREATE TABLE without the AUTO_INCREMENT=N counter. */
  createSql: string;
}
