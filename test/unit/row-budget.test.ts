import { describe, it, expect } from 'vitest';
import { RowBudget, rowsForBytes } from '../../src/core/db/row-budget.js';

describe('rowsForBytes', () => {
  it('sizes the next batch from the bytes per row just seen', () => {
    // 100 rows took 1,000 bytes: 10 bytes a row, 4,096 bytes is 409.6 rows
    expect(rowsForBytes(4096, 100, 1000, 1_000_000)).toBe(410);
    expect(rowsForBytes(4096, 100, 1000, 1_000_000, Math.floor)).toBe(409);
  });

  it('keeps at least one row and at most maxRows', () => {
    expect(rowsForBytes(1000, 1, 64 << 20, 500)).toBe(1);
    expect(rowsForBytes(4 << 20, 10, 10, 500)).toBe(500);
  });

  it('counts a batch of under one byte as one byte', () => {
    expect(rowsForBytes(100, 3, 0, 1_000_000)).toBe(300);
  });

  it('divides exactly where the quotient is whole', () => {
    // 3 rows of 100 bytes in a 1,000-byte budget: 30 rows (1000 / (100 / 3) rounds below 30)
    expect(rowsForBytes(1000, 3, 100, 500, Math.floor)).toBe(30);
  });
});

describe('RowBudget', () => {
  it('starts at the first size, then follows what each batch took', () => {
    const b = new RowBudget({ bytes: 4096, maxRows: 500, first: 16, round: Math.floor });
    expect(b.next()).toBe(16);
    b.seen(16, 16 * 1024);
    expect(b.next()).toBe(4);
    b.seen(0, 0);
    expect(b.next()).toBe(4);
    b.seen(4, 40);
    expect(b.next()).toBe(409);
  });
});
