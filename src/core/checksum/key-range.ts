/**
 * Row-key ranges (primary key, else NOT NULL unique key) and their SQL predicates. A range
 * is (lower, upper]: lower exclusive, upper inclusive, either open (null). Composite keys are compared lexicographically with
 * expanded predicates `a > ? OR (a = ? AND b > ?)` rather than row constructors, because
 * the range optimizer of older MySQL/MariaDB versions does not use an index for `(a,b) > (?,?)`.
 */
import { quoteId } from '../db/quote.js';

export type KeyTuple = unknown[];

export interface KeyRange {
  lower: KeyTuple | null;
  upper: KeyTuple | null;
}

export interface Predicate {
  sql: string;
  params: unknown[];
}

export const FULL_RANGE: KeyRange = { lower: null, upper: null };

/** Lexicographic comparison on the key, `op` is the comparison on the last column. */
function compareKey(pk: string[], key: KeyTuple, strict: '>' | '<', last: '>' | '<' | '>=' | '<='): Predicate {
  const ors: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < pk.length; i += 1) {
    const eqs = pk.slice(0, i).map((c) => `${quoteId(c)} = ?`);
    const op = i === pk.length - 1 ? last : strict;
    ors.push([...eqs, `${quoteId(pk[i] as string)} ${op} ?`].join(' AND '));
    params.push(...key.slice(0, i), key[i]);
  }
  return { sql: ors.length === 1 ? (ors[0] as string) : `(${ors.map((o) => `(${o})`).join(' OR ')})`, params };
}

export function greaterThan(pk: string[], key: KeyTuple): Predicate {
  return compareKey(pk, key, '>', '>');
}

export function atMost(pk: string[], key: KeyTuple): Predicate {
  return compareKey(pk, key, '<', '<=');
}

export function rangePredicate(pk: string[], range: KeyRange): Predicate {
  const parts: Predicate[] = [];
  if (range.lower) parts.push(greaterThan(pk, range.lower));
  if (range.upper) parts.push(atMost(pk, range.upper));
  if (parts.length === 0) return { sql: '1=1', params: [] };
  return { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) };
}

/** `pk = ?` for one key (AND over composite columns). */
export function keyEquals(pk: string[], key: KeyTuple): Predicate {
  return { sql: pk.map((c) => `${quoteId(c)} = ?`).join(' AND '), params: [...key] };
}

/** `(pk) IN ((?,?),...)` for a batch of keys. */
export function keyIn(pk: string[], keys: KeyTuple[]): Predicate {
  if (pk.length === 1) return { sql: `${quoteId(pk[0] as string)} IN (${keys.map(() => '?').join(', ')})`, params: keys.map((k) => k[0]) };
  const tuple = `(${pk.map(() => '?').join(', ')})`;
  return { sql: `(${pk.map(quoteId).join(', ')}) IN (${keys.map(() => tuple).join(', ')})`, params: keys.flat() };
}

export function orderBy(pk: string[]): string {
  return pk.map(quoteId).join(', ');
}

/** A stable text identity for a key (Buffers as hex), used for maps and reports. */
export function keyId(key: KeyTuple): string {
  return JSON.stringify(key.map((v) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : v === null ? null : String(v))));
}

/** How reports show a key: `5` or `(5, 'a')`. */
export function renderKey(key: KeyTuple): string {
  const parts = key.map((v) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : typeof v === 'string' && !/^-?\d+(\.\d+)?$/.test(v) ? `'${v.replace(/'/g, "''")}'` : String(v)));
  return parts.length === 1 ? (parts[0] as string) : `(${parts.join(', ')})`;
}
