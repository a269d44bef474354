/**
 * Compare one table between two servers by chunked checksums. Chunks are key ranges cut
 * from the source by keyset (the n-th key after the previous boundary); their size adapts
 * so one chunk takes about `chunkTimeMs`. A differing chunk is re-checked with backoff
 * (the streaming service may simply not have applied the latest changes yet), then
 * bisected: the left half is checksummed on both sides and the right half derived
 * (count - left count, xor ^ left xor), down to leaves of at most `leafRows` rows whose
 * (key, hash) lists are compared. Only those hash lists cross the wire.
 */
import type { Logger } from '../log.js';
import { boundariesFor } from './boundaries.js';
import {
  classifyLeaf, emptyDiff, intersectLeaf, isEmptyLeaf, mergeInto, nextChunkSize, type TableDiff,
} from './classify.js';
import type { KeyRange, KeyTuple } from './key-range.js';
import { INTEGER_TYPES } from '../db/column-types.js';
import { checksumRange, leafRows, nthKey, type Checksum, type Side } from './side.js';
import { sleep } from '../sleep.js';

export interface CompareOptions {
  chunkTimeMs: number;
  initialChunkRows: number;
  leafRows: number;
  /** Upper bound for the adaptive chunk size: bisecting a differing chunk reads it about twice. */
  maxChunkRows: number;
  /** Waits (ms) before each re-check of a differing chunk; [] = report at once. */
  recheckDelays: number[];
  logger: Logger;
  signal?: AbortSignal;
  /** Awaited before each re-check (e.g. until the streaming service has caught up). */
  beforeRecheck?: () => Promise<void>;
  onChunk?: (done: { rows: number; chunks: number }) => void;
}

export interface CompareResult {
  diff: TableDiff;
  chunks: number;
  sourceRows: number;
  /** Chunks that differed at first and were checked again. */
  rechecked: number;
}

export const DEFAULT_COMPARE: Omit<CompareOptions, 'logger'> = {
  chunkTimeMs: 500, initialChunkRows: 2000, leafRows: 256, maxChunkRows: 100_000, recheckDelays: [200, 500, 1000, 2000],
};


async function both(source: Side, target: Side, range: KeyRange): Promise<[Checksum, Checksum]> {
  return Promise.all([checksumRange(source, range), checksumRange(target, range)]);
}

const same = (a: Checksum, b: Checksum) => a.count === b.count && a.xor === b.xor;

export async function compareTable(source: Side, target: Side, opts: CompareOptions): Promise<CompareResult> {
  const diff = emptyDiff();
  let size = opts.initialChunkRows;
  let lower: KeyRange['lower'] = null;
  let chunks = 0;
  let sourceRows = 0;
  let rechecked = 0;
  const boundaries = await boundariesFor(source);
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    const upper = await boundaries.next(lower, size);
    const range: KeyRange = { lower, upper };
    const started = Date.now();
    let [s, t] = await both(source, target, range);
    const elapsed = Date.now() - started;
    boundaries.observe(s.count);
    if (!same(s, t) && opts.recheckDelays.length > 0) rechecked += 1;
    for (const delay of opts.recheckDelays) {
      if (same(s, t)) break;
      await sleep(delay);
      await opts.beforeRecheck?.();
      [s, t] = await both(source, target, range);
    }
    if (!same(s, t)) await bisect(source, target, range, s, t, diff, opts);
    chunks += 1;
    sourceRows += s.count;
    opts.onChunk?.({ rows: sourceRows, chunks });
    if (upper === null) break;
    size = Math.min(opts.maxChunkRows, nextChunkSize(size, elapsed, opts.chunkTimeMs));
    lower = upper;
  }
  return { diff, chunks, sourceRows, rechecked };
}

async function bisect(source: Side, target: Side, range: KeyRange, s: Checksum, t: Checksum, diff: TableDiff,
  opts: CompareOptions): Promise<void> {
  if (same(s, t)) return;
  if (t.count === 0) return void diff.missingRanges.push({ range, count: s.count });
  if (s.count === 0) return void diff.extraRanges.push({ range, count: t.count });
  if (Math.max(s.count, t.count) <= opts.leafRows) return leaf(source, target, range, diff, opts);
  const mid = integerMidpoint(source, range) ?? (await medianKey(source, target, range, s, t));
  if (!mid) return leaf(source, target, range, diff, opts);
  const left: KeyRange = { lower: range.lower, upper: mid };
  const right: KeyRange = { lower: mid, upper: range.upper };
  const [sl, tl] = await both(source, target, left);
  const sr = { count: s.count - sl.count, xor: s.xor ^ sl.xor };
  const tr = { count: t.count - tl.count, xor: t.xor ^ tl.xor };
  await bisect(source, target, left, sl, tl, diff, opts);
  await bisect(source, target, right, sr, tr, diff, opts);
}

/** Split at the median key of the side with more rows, so both halves shrink (one index scan). */
async function medianKey(source: Side, target: Side, range: KeyRange, s: Checksum, t: Checksum) {
  const [side, n] = s.count >= t.count ? [source, s.count] : [target, t.count];
  return nthKey(side, range, Math.floor(n / 2) - 1);
}

/**
 * For a single integer key with both bounds known, the arithmetic midpoint costs no query;
 * sparse keys only make the halves uneven, and leaves are still reached by row count.
 */
function integerMidpoint(source: Side, range: KeyRange): KeyTuple | null {
  const { key: pk, columns } = source.info;
  const col = columns.find((c) => c.name === pk[0]);
  if (pk.length !== 1 || !col || !INTEGER_TYPES.has(col.dataType) || !range.lower || !range.upper) return null;
  const lo = BigInt(String(range.lower[0]));
  const hi = BigInt(String(range.upper[0]));
  if (hi - lo < 2n) return null;
  return [String((lo + hi) / 2n)];
}

async function leaf(source: Side, target: Side, range: KeyRange, diff: TableDiff, opts: CompareOptions): Promise<void> {
  const fetch = async () => classifyLeaf(...(await Promise.all([leafRows(source, range), leafRows(target, range)])));
  let d = await fetch();
  // One more look after the last backoff delay: a row still in flight is not a difference.
  const delay = opts.recheckDelays[opts.recheckDelays.length - 1];
  if (delay !== undefined && !isEmptyLeaf(d)) {
    await sleep(delay);
    await opts.beforeRecheck?.();
    d = intersectLeaf(d, await fetch());
  }
  mergeInto(diff, d);
}
