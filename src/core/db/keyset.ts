/**
 * The one builder of row-key predicates (keyset paging, ranges, key lists) over the row key
 * (primary key, else the NOT NULL unique key). Composite keys are compared lexicographically
 * with expanded predicates `a > ? OR (a = ? AND b > ?)` rather than row constructors: the
 * range optimizer of older MySQL/MariaDB versions does not use an index for `(a,b) > (?,?)`.
 * Identifiers go through quoteId, values are parameters. (The same predicates as statement
 * bytes for binary sessions: row-bytes.ts keyRangeBytes.)
 */
import { quoteId } from './quote.js';

export interface Predicate {
  sql: string;
  params: unknown[];
}

/** Lexicographic comparison on the key, `last` is the comparison on the last column. */
function compareKey(key: string[], values: unknown[], strict: '>' | '<', last: '>' | '<' | '>=' | '<='): Predicate {
  const ors: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < key.length; i += 1) {
    const eqs = key.slice(0, i).map((c) => `${quoteId(c)} = ?`);
    const op = i === key.length - 1 ? last : strict;
    ors.push([...eqs, `${quoteId(key[i] as string)} ${op} ?`].join(' AND '));
    params.push(...values.slice(0, i), values[i]);
  }
  return { sql: ors.length === 1 ? (ors[0] as string) : `(${ors.map((o) => `(${o})`).join(' OR ')})`, params };
}

/** `key > values` (exclusive lower bound). */
export function keyAfter(key: string[], values: unknown[]): Predicate {
  return compareKey(key, values, '>', '>');
}

/** `key <= values` (inclusive upper bound). */
export function keyAtMost(key: string[], values: unknown[]): Predicate {
  return compareKey(key, values, '<', '<=');
}

/** `from < key <= to`; a null bound is open. */
export function keyBetween(key: string[], from: unknown[] | null, to: unknown[] | null): Predicate {
  const parts = [from ? keyAfter(key, from) : null, to ? keyAtMost(key, to) : null].filter((p): p is Predicate => !!p);
  if (parts.length === 0) return { sql: '1=1', params: [] };
  return { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) };
}

/** `(key) IN ((?,?),...)` for a batch of keys. */
export function keyIn(key: string[], keys: unknown[][]): Predicate {
  if (key.length === 1) {
    const list = keys.map(() => '?').join(', ');
    return { sql: `${quoteId(key[0] as string)} IN (${list})`, params: keys.map((k) => k[0]) };
  }
  const tuple = `(${key.map(() => '?').join(', ')})`;
  return { sql: `(${key.map(quoteId).join(', ')}) IN (${keys.map(() => tuple).join(', ')})`, params: keys.flat() };
}

/** The ORDER BY list for key order. */
export function orderBy(key: string[]): string {
  return key.map(quoteId).join(', ');
}
