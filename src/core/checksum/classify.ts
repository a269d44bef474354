/**
 * Pure: the differences between two leaf row lists, and the bookkeeping of a table's
 * differences (keys found row by row, plus whole ranges where one side has no rows at all,
 * which are not enumerated: an empty target range is copied, not listed).
 */
import { keyId, type KeyRange, type KeyTuple } from './key-range.js';
import type { LeafRow } from './side.js';

export interface LeafDiff {
  missing: KeyTuple[];
  extra: KeyTuple[];
  different: KeyTuple[];
}

export interface BulkRange {
  range: KeyRange;
  count: number;
}

export interface TableDiff extends LeafDiff {
  /** Ranges with rows on the source and none on the target. */
  missingRanges: BulkRange[];
  /** Ranges with rows on the target and none on the source. */
  extraRanges: BulkRange[];
}

export function emptyDiff(): TableDiff {
  return { missing: [], extra: [], different: [], missingRanges: [], extraRanges: [] };
}

export function classifyLeaf(source: LeafRow[], target: LeafRow[]): LeafDiff {
  const targetById = new Map(target.map((r) => [keyId(r.key), r]));
  const out: LeafDiff = { missing: [], extra: [], different: [] };
  for (const s of source) {
    const id = keyId(s.key);
    const t = targetById.get(id);
    if (!t) out.missing.push(s.key);
    else if (t.hash !== s.hash) out.different.push(s.key);
    targetById.delete(id);
  }
  for (const t of targetById.values()) out.extra.push(t.key);
  return out;
}

/** Keys present in both diffs under the same kind (a difference that persisted across a re-check). */
export function intersectLeaf(a: LeafDiff, b: LeafDiff): LeafDiff {
  const keep = (x: KeyTuple[], y: KeyTuple[]) => {
    const ids = new Set(y.map(keyId));
    return x.filter((k) => ids.has(keyId(k)));
  };
  return {
    missing: keep(a.missing, b.missing), extra: keep(a.extra, b.extra), different: keep(a.different, b.different),
  };
}

export function isEmptyLeaf(d: LeafDiff): boolean {
  return d.missing.length + d.extra.length + d.different.length === 0;
}

export function mergeInto(into: TableDiff, leaf: LeafDiff): void {
  into.missing.push(...leaf.missing);
  into.extra.push(...leaf.extra);
  into.different.push(...leaf.different);
}

export function diffCounts(d: TableDiff): { missing: number; extra: number; different: number } {
  const sum = (r: BulkRange[]) => r.reduce((n, x) => n + x.count, 0);
  return {
    missing: d.missing.length + sum(d.missingRanges), extra: d.extra.length + sum(d.extraRanges),
    different: d.different.length,
  };
}

export function isEqual(d: TableDiff): boolean {
  const c = diffCounts(d);
  return c.missing + c.extra + c.different === 0;
}

/** Next chunk size so one chunk takes about `targetMs`: grow at most 2x, shrink at most 4x per step. */
export function nextChunkSize(current: number, elapsedMs: number, targetMs: number, min = 100, max = 500_000): number {
  const ratio = elapsedMs <= 0 ? 2 : Math.min(2, Math.max(0.25, targetMs / elapsedMs));
  return Math.max(min, Math.min(max, Math.round(current * ratio)));
}
