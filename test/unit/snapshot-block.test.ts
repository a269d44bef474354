/** A block read as one value is whole only with one '\n' per row, the last byte included. */
import { describe, expect, it } from 'vitest';
import { wholeLines } from '../../src/core/data/snapshot.js';

describe('wholeLines', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  it('takes a value with one line end per row, ending with one', () => {
    expect(wholeLines(b('1\ta\n2\tb\n'), 2)).toBe(true);
    expect(wholeLines(b('\n'), 1)).toBe(true);
  });
  it('refuses a value cut inside its last line, after a line, or empty', () => {
    expect(wholeLines(b('1\ta\n2\t'), 2)).toBe(false);
    expect(wholeLines(b('1\ta\n'), 2)).toBe(false);
    expect(wholeLines(b(''), 1)).toBe(false);
  });
});
