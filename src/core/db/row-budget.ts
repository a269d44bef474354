/**
 * The one adaptive batch sizer: how many rows to read next so that a batch is about a budget
 * of bytes, from the bytes per row just seen. Used by the snapshot copy (chunks of rendered
 * rows), its range planner (from the table's average row length) and repair (read batches).
 * Pure apart from the running figure a RowBudget keeps.
 */

/** How a fractional row count becomes whole: nearest (about the budget) or down (at most it). */
export type RowRounding = (rows: number) => number;

/**
 * Rows for the next batch: `budget` bytes at the bytes per row of the last batch (`rows` rows
 * took `bytes`), at least 1 and at most `maxRows`. Bytes under 1 count as 1.
 */
export function rowsForBytes(budget: number, rows: number, bytes: number, maxRows: number,
  round: RowRounding = Math.round): number {
  return Math.max(1, Math.min(maxRows, round((budget * rows) / Math.max(1, bytes))));
}

export interface RowBudgetOptions {
  /** Bytes a batch should take. */
  bytes: number;
  /** Upper bound of rows per batch. */
  maxRows: number;
  /** Rows of the first batch, before any row was seen. */
  first: number;
  round?: RowRounding;
}

/** A batch size that follows the rows it is shown: `next()` rows, then `seen()` what they took. */
export class RowBudget {
  private rows: number;

  constructor(private readonly o: RowBudgetOptions) {
    this.rows = o.first;
  }

  next(): number {
    return this.rows;
  }

  /** The last batch: `rows` rows took `bytes` (an empty batch changes nothing). */
  seen(rows: number, bytes: number): void {
    if (rows > 0) this.rows = rowsForBytes(this.o.bytes, rows, bytes, this.o.maxRows, this.o.round);
  }
}
