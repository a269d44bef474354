import { describe, expect, it } from 'vitest';
import { groupsByBytes, rowBytes } from '../../src/core/checksum/repair.js';

describe('repair batches bounded by bytes', () => {
  it('counts the bytes of buffers, strings (UTF-8) and other values', () => {
    expect(rowBytes({ a: Buffer.alloc(10), b: 'é', c: 5, d: null })).toBe(10 + 2 + 8 + 8);
  });

  it('groups rows up to the byte budget, a larger row alone, order kept', () => {
    const rows = [3, 3, 3, 20, 1, 1].map((n, i) => ({ i, b: Buffer.alloc(n) }));
    const groups = groupsByBytes(rows, 2 * (8 + 3));
    expect(groups.map((g) => g.map((r) => r.i))).toEqual([[0, 1], [2], [3], [4, 5]]);
  });
});
