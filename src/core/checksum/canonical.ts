/**
 * The canonical text of a row that both servers must render identically for equal values,
 * and the SQL that hashes it. Pure string building, unit-tested.
 *
 * - Strings (CHAR/VARCHAR/TEXT/ENUM/SET/JSON): HEX(CONVERT(col USING utf8mb4)): a byte-exact
 *   rendering independent of the column's charset, immune to the '#' separator and to
 *   collations that call 'a' and 'a ' or 'A' equal.
 * - Binary types (BINARY/VARBINARY/BLOB/BIT/GEOMETRY): HEX(col), so trailing 0x00/0x20 count.
 * - Numbers, DECIMAL, dates and times: the server's own text rendering, identical for equal
 *   values and equal column types; TIMESTAMP is rendered in the session zone, which every
 *   db-sync connection sets to UTC. FLOAT/DOUBLE render with the shortest round-trip form.
 * - NULLs: CONCAT_WS skips NULL arguments, so a trailing string of ISNULL() flags for the
 *   nullable columns tells NULL from '' (as pt-table-checksum does).
 * The row hash is the first 64 bits of MD5; a chunk's checksum is COUNT(*) plus BIT_XOR of
 * the row hashes (order-independent; rows are unique by primary key, so no pair cancels).
 */
import { quoteId } from '../db/quote.js';
import type { ColumnInfo } from './table-info.js';

const STRING_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'json']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'bit',
  'geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection']);

export function canonicalColumn(col: ColumnInfo, alias = ''): string {
  const ref = alias ? `${alias}.${quoteId(col.name)}` : quoteId(col.name);
  if (STRING_TYPES.has(col.dataType)) return `HEX(CONVERT(${ref} USING utf8mb4))`;
  if (BINARY_TYPES.has(col.dataType)) return `HEX(${ref})`;
  return ref;
}

/** The canonical text of one row (all columns, NULL flags last). */
export function canonicalRow(columns: ColumnInfo[]): string {
  const parts = columns.map((c) => canonicalColumn(c));
  const nullable = columns.filter((c) => c.nullable);
  if (nullable.length > 0) parts.push(`CONCAT(${nullable.map((c) => `ISNULL(${quoteId(c.name)})`).join(', ')})`);
  return `CONCAT_WS('#', ${parts.join(', ')})`;
}

/** A 64-bit row hash as an unsigned integer expression. */
export function rowHashExpr(columns: ColumnInfo[]): string {
  return `CAST(CONV(LEFT(MD5(${canonicalRow(columns)}), 16), 16, 10) AS UNSIGNED)`;
}

/** The row hash as 16 hex digits (for leaf comparisons; short on the wire). */
export function rowHashHexExpr(columns: ColumnInfo[]): string {
  return `LEFT(MD5(${canonicalRow(columns)}), 16)`;
}
