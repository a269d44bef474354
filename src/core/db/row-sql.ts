/**
 * Pure SQL builders: the snapshot's source side (keyset pages, the expressions that make the
 * source render rows as SQL literals or LOAD DATA lines) and the row writes of verify's repair
 * and polling (by key, whole rows, key ranges). Identifiers go through quoteId, values are
 * parameters; predicates come from keyset.ts. (Streamed row changes as bytes: row-bytes.ts.)
 */
import { BYTE_TYPES, EXACT_NUMERIC_TYPES, TEMPORAL_TYPES, TEXT_TYPES } from './column-types.js';
import { keyBetween, keyIn, type Predicate } from './keyset.js';
import { quoteId, quoteQualified } from './quote.js';
import type { TableInfo } from './table-info.js';

export type Statement = Predicate;


/**
 * A select expression that makes the SOURCE server render a column as an SQL literal the
 * target accepts unchanged (the snapshot then only joins strings, no per-value escaping in
 * JS): bytes as X'hex', BIT as b'...', numbers as text, floats via DOUBLE at full precision (shortest
 * round-trip text), everything else through QUOTE(), which also yields NULL.
 */
export function literalExpr(column: { name: string; dataType: string }): string {
  const q = quoteId(column.name);
  const t = column.dataType;
  // HEX() of a BIT value is its number in hex (odd length possible): render b'0101' instead
  if (t === 'bit') return `IF(${q} IS NULL, 'NULL', CONCAT('b''', BIN(${q}), ''''))`;
  if (BYTE_TYPES.has(t)) return `IF(${q} IS NULL, 'NULL', CONCAT('X''', HEX(${q}), ''''))`;
  if (EXACT_NUMERIC_TYPES.has(t)) return `COALESCE(CAST(${q} AS CHAR), 'NULL')`;
  if (t === 'float' || t === 'double' || t === 'real') return `COALESCE(CAST(CAST(${q} AS DOUBLE) AS CHAR), 'NULL')`;
  // text of any character set as its exact bytes: an X'' literal assigned to a text column
  // keeps them (a charset conversion through utf8mb4 would not for every charset); not JSON:
  // a MySQL JSON column refuses binary strings (MariaDB's JSON is longtext)
  if (TEXT_TYPES.has(t)) return `IF(${q} IS NULL, 'NULL', CONCAT('X''', HEX(${q}), ''''))`;
  if (t === 'enum' || t === 'set') return `COALESCE(CAST(${q} + 0 AS CHAR), 'NULL')`;
  return `CONVERT(QUOTE(${q}) USING utf8mb4)`;
}

/** A select expression rendering a whole row as a VALUES tuple "(lit, lit, ...)". */
export function tupleExpr(table: TableInfo): string {
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const lits = table.writable.map((c) => literalExpr(byName.get(c) ?? { name: c, dataType: '' }));
  return `CONCAT('(', ${lits.join(", ',', ")}, ')')`;
}

/**
 * How many ENUM values of a row are the '' error value (index 0). Loading such a value is
 * only possible with a warning; the chunk loader expects exactly this many warnings.
 */
export function enumZeroExpr(table: TableInfo): string {
  const enums = table.columns.filter((c) => c.dataType === 'enum' && !c.generated)
    .map((c) => `(IFNULL(${quoteId(c.name)} + 0, 1) = 0)`);
  return enums.length ? enums.join(' + ') : '0';
}

/**
 * Keyset page query: each row as one ready VALUES tuple "(lit, lit, ...)" rendered by the
 * source (literalExpr; one string per row keeps the client's parsing cost low), its count of
 * ENUM error values, then the raw key columns (to page on).
 */
export function selectLiteralChunk(table: TableInfo, from: unknown[] | null, limit: number,
  to: unknown[] | null = null): Statement {
  const tuple = tupleExpr(table);
  const where = keyBetween(table.key, from, to);
  return {
    sql: `SELECT ${[tuple, enumZeroExpr(table), ...table.key.map(quoteId)].join(', ')}`
      + ` FROM ${quoteQualified(table.schema, table.name)} WHERE ${where.sql}`
      + ` ORDER BY ${table.key.map(quoteId).join(', ')} LIMIT ${Math.floor(limit)}`,
    params: where.params,
  };
}


/**
 * A select expression rendering one column as a LOAD DATA field (binary string, FIELDS
 * TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n'): NULL as \N, bytes and
 * geometry as hex (unhexed by loadDataSql), BIT as its number, floats at full precision,
 * everything else as the column's own bytes with \\, TAB and LF escaped: the three bytes LOAD
 * DATA reads as syntax here. A raw CR or NUL is data to it (nothing is ENCLOSED BY, lines end
 * at LF alone), so they pass as they are: each REPLACE copies the whole value, and the two
 * others cost the source about 40 ms per 200,000 rows of one VARCHAR(64) column (docs/data.md).
 * Being binary, text of every character set reaches the target byte for byte (CHARACTER SET
 * binary).
 */
export function tsvFieldExpr(column: { name: string; dataType: string },
  piece?: { offset: number; length: number }): string {
  const q = quoteId(column.name);
  const t = column.dataType;
  // a piece of the value's bytes: for a value whose rendering is longer than max_allowed_packet
  const bytes = piece ? `SUBSTRING(CAST(${q} AS BINARY), ${Math.floor(piece.offset)}, ${Math.floor(piece.length)})`
    : null;
  let v: string;
  if (t === 'bit') v = `CAST(CAST(${q} AS UNSIGNED) AS BINARY)`;
  else if (BYTE_TYPES.has(t)) v = `CAST(HEX(${bytes ?? q}) AS BINARY)`;
  // nothing to escape in a number's or a date's text: REPLACE would cost the source a scan each
  else if (EXACT_NUMERIC_TYPES.has(t) || TEMPORAL_TYPES.has(t)) v = `CAST(${q} AS BINARY)`;
  else if (t === 'float' || t === 'double' || t === 'real') v = `CAST(CAST(${q} AS DOUBLE) AS BINARY)`;
  else {
    v = bytes ?? `CAST(${q} AS BINARY)`;
    // hex literals: independent of the source session's NO_BACKSLASH_ESCAPES
    for (const [from, to] of [['5C', '5C5C'], ['09', '5C74'], ['0A', '5C6E']]) {
      v = `REPLACE(${v}, X'${from}', X'${to}')`;
    }
  }
  return `IF(${q} IS NULL, X'5C4E', ${v})`;
}

/**
 * A select expression rendering a whole row as one TSV line, with its '\n' as the last argument
 * of the same CONCAT when `lf` (a CONCAT around the line would copy it once more). NULL when a
 * field's rendering exceeds max_allowed_packet (the server's string functions return NULL then):
 * CONCAT, not CONCAT_WS, which would skip that field and leave a line one field short. A NULL
 * line is read field by field in pieces (snapshot.ts, longLine).
 */
export function tsvLineExpr(table: TableInfo, lf = false): string {
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const fields = table.writable.map((c) => tsvFieldExpr(byName.get(c) ?? { name: c, dataType: '' }));
  return `CONCAT(${fields.join(", X'09', ")}${lf ? ", X'0A'" : ''})`;
}

/** Keyset page query like selectLiteralChunk, each row as one TSV line (tsvLineExpr). */
export function selectTsvChunk(table: TableInfo, from: unknown[] | null, limit: number,
  to: unknown[] | null = null): Statement {
  const where = keyBetween(table.key, from, to);
  return {
    sql: `SELECT ${[tsvLineExpr(table), enumZeroExpr(table), ...table.key.map(quoteId)].join(', ')}`
      + ` FROM ${quoteQualified(table.schema, table.name)} WHERE ${where.sql}`
      + ` ORDER BY ${table.key.map(quoteId).join(', ')} LIMIT ${Math.floor(limit)}`,
    params: where.params,
  };
}

/**
 * The key that ends a page of `limit` rows after `from` (within `to`): no row when fewer remain.
 * With it, selectTsvBlock reads the page as a key range, which MariaDB scans directly: a LIMIT
 * inside the block query needs a derived table, materialised row by row (half of the source's
 * CPU for the copy, measured in docs/data.md "Parallel loading").
 */
export function selectPageEnd(table: TableInfo, from: unknown[] | null, limit: number,
  to: unknown[] | null = null): Statement {
  const where = keyBetween(table.key, from, to);
  const key = quoteId(table.key[0] as string);
  return {
    sql: `SELECT ${key} FROM ${quoteQualified(table.schema, table.name)} WHERE ${where.sql}`
      + ` ORDER BY ${key} LIMIT 1 OFFSET ${Math.max(0, Math.floor(limit) - 1)}`,
    params: where.params,
  };
}

/**
 * The rows of a key range (single-column key) as ONE value: each TSV line ended by '\n' on the
 * source, with the row count and ENUM error values (the range's last key is selectPageEnd's).
 * One value instead of a result row per table row spares the client most of its parsing and
 * memory. A line never holds a raw '\n' (tsvFieldExpr escapes it), so a whole value ends with
 * '\n' and holds one per row; a value cut short (group_concat_max_len, max_allowed_packet: cut
 * with a warning) ends inside a line or lacks lines. The order of the lines is not relied on.
 */
export function selectTsvBlock(table: TableInfo, from: unknown[] | null, through: unknown[] | null): Statement {
  const where = keyBetween(table.key, from, through);
  return {
    sql: `SELECT GROUP_CONCAT(${tsvLineExpr(table, true)} SEPARATOR ''), COUNT(*),`
      + ` SUM(${enumZeroExpr(table)}) FROM ${quoteQualified(table.schema, table.name)} WHERE ${where.sql}`,
    params: where.params,
  };
}

/** The LOAD DATA LOCAL statement matching tsvLineExpr's lines for `target` (schema.table). */
export function loadDataSql(table: TableInfo, target: string): string {
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const fields: string[] = [];
  const sets: string[] = [];
  table.writable.forEach((c, i) => {
    const t = byName.get(c)?.dataType ?? '';
    // bytes and BIT are loaded through a user variable (@v<i>) and converted by a SET clause
    if (t !== 'bit' && !BYTE_TYPES.has(t)) { fields.push(quoteId(c)); return; }
    fields.push(`@v${i}`);
    sets.push(`${quoteId(c)} = ${t === 'bit' ? `CAST(@v${i} AS UNSIGNED)` : `UNHEX(@v${i})`}`);
  });
  return `LOAD DATA LOCAL INFILE 'db-sync-chunk' INTO TABLE ${target} CHARACTER SET binary`
    + ` FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${fields.join(', ')})`
    + (sets.length ? ` SET ${sets.join(', ')}` : '');
}

/** DELETE of the rows with these keys (values as parameters, already in the key's wire form). */
export function deleteKeysSql(table: TableInfo, keys: unknown[][]): Statement {
  const p = keyIn(table.key, keys);
  return { sql: `DELETE FROM ${quoteId(table.name)} WHERE ${p.sql}`, params: p.params };
}

/** INSERT of whole rows, their writable columns as parameters. */
export function insertRowsSql(table: TableInfo, rows: Record<string, unknown>[]): Statement {
  const cols = table.writable;
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  return {
    sql: `INSERT INTO ${quoteId(table.name)} (${cols.map(quoteId).join(', ')})`
      + ` VALUES ${rows.map(() => tuple).join(', ')}`,
    params: rows.flatMap((r) => cols.map((c) => r[c])),
  };
}

/** DELETE of at most `limit` rows with `from < key <= to` (null bounds open). */
export function deleteRangeSql(table: TableInfo, from: unknown[] | null, to: unknown[] | null,
  limit: number): Statement {
  const p = keyBetween(table.key, from, to);
  return { sql: `DELETE FROM ${quoteId(table.name)} WHERE ${p.sql} LIMIT ${Math.floor(limit)}`, params: p.params };
}
