/**
 * Row-key ranges (primary key, else NOT NULL unique key). A range is (lower, upper]: lower
 * exclusive, upper inclusive, either open (null). Their predicates come from db/keyset.ts.
 */
import { keyBetween, type Predicate } from '../db/keyset.js';

export type KeyTuple = unknown[];

export interface KeyRange {
  lower: KeyTuple | null;
  upper: KeyTuple | null;
}

export const FULL_RANGE: KeyRange = { lower: null, upper: null };

/** The range's predicate: `lower < key <= upper`, open where a bound is null. */
export function rangePredicate(pk: string[], range: KeyRange): Predicate {
  return keyBetween(pk, range.lower, range.upper);
}

/** A stable text identity for a key (Buffers as hex), used for maps and reports. */
export function keyId(key: KeyTuple): string {
  return JSON.stringify(key.map((v) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}`
    : v === null ? null : String(v))));
}

/** How reports show a key: `5` or `(5, 'a')`. */
export function renderKey(key: KeyTuple): string {
  const parts = key.map((v) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}`
    : typeof v === 'string' && !/^-?\d+(\.\d+)?$/.test(v) ? `'${v.replace(/'/g, "''")}'` : String(v)));
  return parts.length === 1 ? (parts[0] as string) : `(${parts.join(', ')})`;
}
