/**
 * Where each chunk ends. In general by keyset on the source: the key `rows` positions after
 * the previous boundary (an index scan of the chunk). For a single integer key, by
 * arithmetic instead, as pt-table-sync's Chunk algorithm does: the chunk is a key interval
 * whose width follows the key density seen in the previous chunk, so no boundary scan runs
 * at all (the interval's row count comes back with its checksum).
 */
import type { KeyTuple } from './key-range.js';
import { INTEGER_TYPES } from '../db/column-types.js';
import { keyBounds, nthKey, type Side } from './side.js';

export interface Boundaries {
  /** Inclusive upper key of a chunk of about `rows` source rows after `lower`; null = to the end. */
  next(lower: KeyTuple | null, rows: number): Promise<KeyTuple | null>;
  /** The chunk just returned held `count` source rows. */
  observe(count: number): void;
}

export async function boundariesFor(source: Side): Promise<Boundaries> {
  const { key: pk, columns } = source.info;
  const col = columns.find((c) => c.name === pk[0]);
  if (pk.length === 1 && col && INTEGER_TYPES.has(col.dataType)) {
    const bounds = await keyBounds(source);
    return bounds ? integerBoundaries(bounds.min, bounds.max) : { next: async () => null, observe: () => undefined };
  }
  return {
    next: (lower, rows) => nthKey(source, { lower, upper: null }, rows - 1),
    observe: () => undefined,
  };
}

/** Pure: arithmetic boundaries over [min, max] with a density estimate (rows per key unit). */
export function integerBoundaries(min: bigint, max: bigint): Boundaries {
  let density = 1;
  let width = 0n;
  return {
    async next(lower, rows) {
      const start = lower ? BigInt(String(lower[0])) : min - 1n;
      width = BigInt(Math.max(1, Math.min(Number.MAX_SAFE_INTEGER, Math.round(rows / density))));
      const upper = start + width;
      return upper >= max ? null : [String(upper)];
    },
    observe(count) {
      if (width === 0n) return;
      // An empty interval doubles the next width; otherwise the density just measured.
      density = count === 0 ? density / 2 : count / Number(width);
    },
  };
}
