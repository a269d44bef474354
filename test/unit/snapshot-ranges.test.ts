import { describe, expect, it } from 'vitest';
import { keyAtMost } from '../../src/core/db/keyset.js';
import {
  attachRanges, chunkRowsFor, defaultParallel, deleteRangesSql, evenSplitPoints, planRanges, rangeCount, rangeStream, sharedState,
  tableStarted, type RangeProgress,
} from '../../src/core/data/snapshot-ranges.js';
import { arithmeticEnd, type SnapshotState } from '../../src/core/data/snapshot.js';

const range = (table: string, index: number, p: Partial<RangeProgress> = {}): RangeProgress =>
  ({ table, index, lo: null, hi: null, lastKey: null, rows: 0, done: false, ...p });

describe('snapshot key ranges', () => {
  it('cuts a table at its split keys into ranges that cover every key once', () => {
    expect(planRanges('t', [[10], [20]]).map((r) => [r.lo, r.hi])).toEqual([[null, [10]], [[10], [20]], [[20], null]]);
    expect(planRanges('t', []).map((r) => [r.index, r.lo, r.hi])).toEqual([[0, null, null]]);
  });

  it('splits only tables worth at least 4 chunks per range, up to twice the loaders', () => {
    expect(rangeCount(1_000_000, 50_000, 2)).toBe(4);
    expect(rangeCount(1_000_000, 50_000, 4)).toBe(5);
    expect(rangeCount(1_000_000, 10_000, 4)).toBe(8);
    expect(rangeCount(150_000, 50_000, 4)).toBe(1);
    expect(rangeCount(10_000_000, 1000, 1)).toBe(1);
  });

  it('ends pages of a dense key at from + n in the driver\'s type, exactly beyond 2^53, until the cap', () => {
    expect(arithmeticEnd(100, 50, 1000)).toBe(150);
    expect(arithmeticEnd(-30, 20, 5)).toBe(-10);
    expect(arithmeticEnd('18446744073709541615', 3, '18446744073709551615')).toBe('18446744073709541618');
    expect(arithmeticEnd('18446744073709551610', 5, '18446744073709551615')).toBeNull();
    expect(arithmeticEnd(990, 10, 1000)).toBeNull();
    expect(arithmeticEnd(989, 10, 1000)).toBe(999);
  });

  it('splits a dense integer key by arithmetic, exactly beyond 2^53, and refuses sparse keys', () => {
    expect(evenSplitPoints(1n, 1_000_000n, 1_000_000, 4)).toEqual([250_000n, 500_000n, 750_000n]);
    expect(evenSplitPoints(-10n, 9n, 20, 2)).toEqual([-1n]);
    const base = 9_223_372_036_854_000_000n;
    expect(evenSplitPoints(base, base + 999n, 1000, 2)).toEqual([base + 499n]);
    // half the span empty is still dense enough; more gaps than rows is not
    expect(evenSplitPoints(1n, 2_000_000n, 1_000_000, 4)).toEqual([500_000n, 1_000_000n, 1_500_000n]);
    expect(evenSplitPoints(1n, 2_000_001n, 1_000_000, 4)).toBeNull();
    expect(evenSplitPoints(1n, 3n, 3, 4)).toBeNull();
    expect(evenSplitPoints(1n, 100n, 100, 1)).toBeNull();
  });

  it('sizes chunks by bytes from the average row length', () => {
    expect(chunkRowsFor(100, 4 << 20)).toBe(41_943);
    expect(chunkRowsFor(1 << 20, 4 << 20)).toBe(4);
    expect(chunkRowsFor(64 << 20, 4 << 20)).toBe(1);
    expect(chunkRowsFor(0, 4 << 20)).toBe(1000);
  });

  it('defaults the loaders to the target cores, at least 2 and at most 4', () => {
    expect([null, 1, 2, 3, 16].map(defaultParallel)).toEqual([2, 2, 2, 3, 4]);
  });

  it('reads progress back from the range rows, never from the shared row', () => {
    const fresh = { done: false, lastKey: null, rows: 0 };
    const state: SnapshotState = { startedAt: 'x', tables: { t: { done: true, lastKey: [99], rows: 99 }, u: fresh } };
    const stale = attachRanges(state, [range('t', 1, { done: true, rows: 5 }), range('t', 0, { lastKey: [3], rows: 3 }),
    ]);
    expect(stale).toEqual([]);
    expect(state.tables.t).toMatchObject({ done: false, rows: 8 });
    expect(state.tables.t?.ranges?.map((r) => r.index)).toEqual([0, 1]);
    expect(tableStarted(state.tables.t)).toBe(true);
    expect(tableStarted(state.tables.u)).toBe(false);
    // a done range with no rows (empty key range) still means the table is started
    expect(tableStarted({ ...fresh, ranges: [range('v', 0, { done: true }), range('v', 1)] })).toBe(true);
    expect(tableStarted({ ...fresh, ranges: [range('v', 0), range('v', 1)] })).toBe(false);
    // the shared row names the tables; it carries no range progress
    expect(sharedState(state).tables).toEqual({ t: fresh, u: fresh });
  });

  it('returns range rows of tables a partial snapshot does not copy as stale', () => {
    const tables = { t: { done: false, lastKey: null, rows: 0 } };
    const state: SnapshotState = { startedAt: 'x', partial: true, tables };
    const stale = attachRanges(state, [range('t', 0, { rows: 1, lastKey: [1] }), range('gone', 0)]);
    expect(stale.map(rangeStream)).toEqual(['snapshot/gone/0']);
    expect(Object.keys(state.tables)).toEqual(['t']);
  });

  it('deletes range rows by exact stream name, or all of the pair', () => {
    expect(deleteRangesSql('p', [])).toEqual([]);
    const [some] = deleteRangesSql('p', ['snapshot/a%/0']);
    const hex = (s: string) => Buffer.from(s).toString('hex');
    expect(some?.toString('latin1')).toContain(`stream IN (_utf8mb4 X'${hex('snapshot/a%/0')}')`);
    const [all] = deleteRangesSql('p', 'all');
    expect(all?.toString('latin1')).toContain(`stream LIKE _utf8mb4 X'${hex('snapshot/%')}'`);
  });

  it('bounds a keyset page from above, inclusive, expanded for composite keys', () => {
    expect(keyAtMost(['a'], [5])).toEqual({ sql: '`a` <= ?', params: [5] });
    expect(keyAtMost(['a', 'b'], [1, 'x'])).toEqual({
      sql: '((`a` < ?) OR (`a` = ? AND `b` <= ?))', params: [1, 1, 'x'],
    });
  });
});
