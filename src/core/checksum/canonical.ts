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
 *   db-sync connection sets to UTC. DOUBLE renders with the shortest round-trip form; FLOAT
 *   as text keeps only 6 significant digits (1.5 and 1.5000001 both print '1.5'), so it is
 *   widened to DOUBLE first (exact), which prints every bit of it.
 * - NULLs: CONCAT_WS skips NULL arguments, so a trailing string of ISNULL() flags for the
 *   nullable columns tells NULL from '' (as pt-table-checksum does).
 * A chunk's checksum is COUNT(*) plus BIT_XOR of 64-bit row values (order-independent;
 * rows are unique by their row key). Row hash 'crc' (MariaDB >= 10.8 on both servers, the
 * default there): h = CRC32C of the row text (hardware-accelerated), mixed as
 * ((h << 32) | h) ^ (h * h). The product matters: a CRC is linear over XOR, so with plain
 * BIT_XOR(CRC) two same-length rows changed by the same byte delta at the same offset (say
 * status 'A'->'B' in both) would cancel out; the integer square breaks that linearity.
 * h is computed once per row in a derived table that LIMIT keeps from being merged. A
 * single changed row goes unnoticed only if its CRC32C collides (2^-32, as with
 * pt-table-checksum's CRC32); leaves are then compared with MD5. Row hash 'md5' (anything
 * else, or asked for): the first 64 bits of MD5, about 2.5x slower.
 */
import { BYTE_TYPES, STRING_TYPES } from '../db/column-types.js';
import { quoteId } from '../db/quote.js';
import type { ColumnInfo } from '../db/table-info.js';


export function canonicalColumn(col: ColumnInfo, alias = ''): string {
  const ref = alias ? `${alias}.${quoteId(col.name)}` : quoteId(col.name);
  if (STRING_TYPES.has(col.dataType)) return `HEX(CONVERT(${ref} USING utf8mb4))`;
  // BIT: HEX() of its number, the same text on both servers for equal values
  if (BYTE_TYPES.has(col.dataType) || col.dataType === 'bit') return `HEX(${ref})`;
  if (col.dataType === 'float') return `CAST(${ref} AS DOUBLE)`;
  return ref;
}

/** The canonical text of one row (all columns, NULL flags last). */
export function canonicalRow(columns: ColumnInfo[]): string {
  const parts = columns.map((c) => canonicalColumn(c));
  const nullable = columns.filter((c) => c.nullable);
  if (nullable.length > 0) parts.push(`CONCAT(${nullable.map((c) => `ISNULL(${quoteId(c.name)})`).join(', ')})`);
  return `CONCAT_WS('#', ${parts.join(', ')})`;
}

export type HashAlgo = 'crc' | 'md5';

/** COUNT and BIT_XOR of row hashes over `FROM table WHERE where`, as columns c and x. */
export function chunkChecksumSql(table: string, columns: ColumnInfo[], where: string, algo: HashAlgo): string {
  const row = canonicalRow(columns);
  if (algo === 'md5') {
    return `SELECT COUNT(*) AS c, BIT_XOR(CAST(CONV(LEFT(MD5(${row}), 16), 16, 10) AS UNSIGNED)) AS x`
      + ` FROM ${quoteId(table)} WHERE ${where}`;
  }
  return 'SELECT COUNT(*) AS c, BIT_XOR(((h << 32) | h) ^ (h * h)) AS x'
    + ` FROM (SELECT CRC32C(${row}) AS h FROM ${quoteId(table)} WHERE ${where} LIMIT 18446744073709551615) AS d`;
}

/** The row hash as 16 hex digits (for leaf comparisons; short on the wire). */
export function rowHashHexExpr(columns: ColumnInfo[]): string {
  return `LEFT(MD5(${canonicalRow(columns)}), 16)`;
}
