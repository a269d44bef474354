import { describe, it, expect } from 'vitest';
import { quoteId, quoteQualified, quoteString } from '../../src/core/db/quote.js';

describe('identifier quoting', () => {
  it('doubles backticks and keeps spaces, reserved words and unicode intact', () => {
    expect(quoteId('a`b')).toBe('`a``b`');
    expect(quoteId('order')).toBe('`order`');
    expect(quoteId('my table')).toBe('`my table`');
    expect(quoteId('Bestellungen_äöü_😀')).toBe('`Bestellungen_äöü_😀`');
    expect(quoteQualified('db`x', 't')).toBe('`db``x`.`t`');
  });
  it('rejects NUL bytes, which no identifier may contain', () => {
    expect(() => quoteId('a\u0000b')).toThrow(/NUL/);
  });
  it('escapes string literals for DDL', () => {
    expect(quoteString("it's a \\ test")).toBe("'it''s a \\\\ test'");
  });
});
