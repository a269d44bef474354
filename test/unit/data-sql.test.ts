import { describe, expect, it } from 'vitest';
import { chooseKey, type ColumnInfo, type TableInfo } from '../../src/core/db/table-info.js';
import { keyAfter } from '../../src/core/db/keyset.js';
import { literalExpr } from '../../src/core/db/row-sql.js';
import { keyRangeBytes, literal, quoteBytes, TableWriter } from '../../src/core/db/row-bytes.js';
import { comparePositions } from '../../src/core/data/events.js';
import { decodeKey, encodeKey, insertBatches } from '../../src/core/data/snapshot.js';
import { retryDelayMs } from '../../src/core/retry.js';

const col = (name: string, dataType: string, generated = false): ColumnInfo => ({ name, dataType, nullable: false, generated, onUpdateTimestamp: false, charset: null, collation: null });
const keyed: TableInfo = {
  schema: 'd', name: 't', keyKind: 'primary', key: ['a', 'b'],
  columns: [col('a', 'int'), col('b', 'varchar'), col('v', 'blob'), col('g', 'int', true)],
  writable: ['a', 'b', 'v'], indexedFirst: ['a'], transactional: true,
};
const keyless: TableInfo = { ...keyed, key: [], keyKind: 'none' };

const text = (name: string, charset = 'utf8mb4', collation = 'utf8mb4_general_ci'): ColumnInfo => ({ ...col(name, 'varchar'), charset, collation });
const keyedText: TableInfo = { ...keyed, columns: [col('a', 'int'), text('b', 'latin1', 'latin1_swedish_ci'), col('v', 'blob'), col('g', 'int', true)] };
const bytes = (b: Buffer) => b.toString('latin1');

describe('row statements as bytes', () => {
  const w = new TableWriter(keyedText);

  it('escapes only the bytes a quoted literal needs (NUL, LF, CR, ^Z, quotes, backslash)', () => {
    expect(bytes(quoteBytes(Buffer.from([0x61, 0x00, 0x0a, 0x0d, 0x1a, 0x22, 0x27, 0x5c, 0xff])))).toBe("'a\\0\\n\\r\\Z\\\"\\'\\\\\xff'");
    expect(bytes(quoteBytes(Buffer.alloc(0)))).toBe("''");
  });

  it('escapes the same way byte by byte (short values) and by runs (long values, none to escape)', () => {
    const letters: Record<number, string> = { 0x00: '0', 0x0a: 'n', 0x0d: 'r', 0x1a: 'Z', 0x22: '"', 0x27: "'", 0x5c: '\\' };
    const reference = (b: Buffer) => `'${[...b].map((c) => (letters[c] ? `\\${letters[c]}` : String.fromCharCode(c))).join('')}'`;
    let seed = 7;
    const random = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed; };
    for (const n of [1, 2, 255, 256, 257, 1000, 70_000]) {
      const mixed = Buffer.from(Array.from({ length: n }, () => random() % 256));
      const plain = Buffer.from(Array.from({ length: n }, () => 0x41 + (random() % 26)));
      for (const b of [mixed, plain]) expect(bytes(quoteBytes(b))).toBe(reference(b));
    }
  });

  it('keeps text as its bytes under a charset introducer, binary as _binary, exact numbers unquoted', () => {
    expect(bytes(literal(keyedText.columns[1], Buffer.from([0xe9, 0x81])))).toBe("_latin1'\xe9\x81'");
    expect(bytes(literal(keyedText.columns[1], Buffer.from([0xe9]), true))).toBe("_latin1'\xe9' COLLATE latin1_swedish_ci");
    expect(bytes(literal(col('v', 'blob'), Buffer.from([0x27])))).toBe("_binary'\\''");
    expect(bytes(literal(col('b', 'bit'), Buffer.from([0x05])))).toBe("X'05'");
    expect(bytes(literal(col('d', 'decimal'), '-12.500'))).toBe('-12.500');
    expect(bytes(literal(col('u', 'bigint'), '18446744073709551615'))).toBe('18446744073709551615');
    expect(bytes(literal(col('e', 'enum'), 0))).toBe('0');
    expect(bytes(literal(col('f', 'double'), -0))).toBe('-0e0');
    expect(bytes(literal(col('t', 'datetime'), '2024-01-01 00:00:00.5'))).toBe("'2024-01-01 00:00:00.5'");
    expect(bytes(literal(col('x', 'int'), null))).toBe('NULL');
  });

  it('inserts only present writable columns and updates only the columns that changed, by the before key', () => {
    expect(bytes(Buffer.concat([w.insertHead(['a', 'b', 'v']), w.tuple(['a', 'b', 'v'], { a: 1, b: Buffer.from('x'), v: null, g: 5 })])))
      .toBe("INSERT INTO `d`.`t` (`a`, `b`, `v`) VALUES (1, _latin1'x', NULL)");
    expect(bytes(w.update({ a: 1, b: Buffer.from('x'), v: Buffer.from('o') }, { a: 2, b: Buffer.from('x'), v: Buffer.from('o') })))
      .toBe("UPDATE `d`.`t` SET `a` = 2 WHERE `a` = 1 AND `b` = _latin1'x' COLLATE latin1_swedish_ci");
    expect(bytes(w.update({ a: 1, b: Buffer.from('x') }, { a: 1, b: Buffer.from('x') }))).toBe("UPDATE `d`.`t` SET `a` = `a` WHERE `a` = 1 AND `b` = _latin1'x' COLLATE latin1_swedish_ci");
  });

  it('keeps one INSERT head per column list (a partial image gets its own)', () => {
    expect(bytes(w.insertHead(['a', 'b', 'v']))).toBe('INSERT INTO `d`.`t` (`a`, `b`, `v`) VALUES ');
    expect(bytes(w.insertHead(['a', 'v']))).toBe('INSERT INTO `d`.`t` (`a`, `v`) VALUES ');
    expect(bytes(w.insertHead(['a', 'b', 'v']))).toBe('INSERT INTO `d`.`t` (`a`, `b`, `v`) VALUES ');
    // the cache key joins names with NUL, which no identifier holds
    expect(() => w.insertHead(['a\0b'])).toThrow(/NUL/);
  });

  it('matches a keyless row by its whole before image, NULL-safe, one row only', () => {
    const k = new TableWriter({ ...keyless, columns: [col('a', 'int'), col('b', 'int'), col('v', 'blob')] });
    expect(bytes(k.delete({ a: 1, b: null, v: Buffer.from('z') }))).toBe("DELETE FROM `d`.`t` WHERE `a` <=> 1 AND `b` <=> NULL AND `v` <=> _binary'z' LIMIT 1");
  });

  it('finds a row of a partial image by another unique key it carries, and refuses when none is complete', () => {
    const two = new TableWriter({ ...keyed, key: ['a'], uniqueKeys: [['a'], ['b']], columns: [col('a', 'int'), col('b', 'int'), col('v', 'int')] });
    expect(bytes(two.delete({ b: 7 }))).toBe('DELETE FROM `d`.`t` WHERE `b` = 7');
    expect(two.canMatch({ v: 1 })).toBe(false);
  });

  it('splits a value larger than a packet at character boundaries (UTF-8) or anywhere (binary)', () => {
    const t2 = new TableWriter({ ...keyed, columns: [col('a', 'int'), text('b'), col('v', 'blob')] });
    const split = t2.split({ a: 1, b: Buffer.from('ééé'), v: Buffer.from('abcdefg') }, 3);
    expect(split?.first).toEqual({ a: 1, b: Buffer.alloc(0), v: Buffer.alloc(0) });
    expect(split?.parts.map(([c, chunks]) => [c, chunks.map((x) => x.toString())])).toEqual([['b', ['é', 'é', 'é']], ['v', ['abc', 'def', 'g']]]);
    const sjis = new TableWriter({ ...keyed, columns: [col('a', 'int'), text('b', 'sjis', 'sjis_japanese_ci')] });
    expect(sjis.split({ a: 1, b: Buffer.alloc(10) }, 3)).toBeNull();
  });

  it('expands a composite keyset predicate so the server can range-scan it, on both sides', () => {
    expect(keyAfter(['a', 'b'], [1, 'x'])).toEqual({ sql: '((`a` > ?) OR (`a` = ? AND `b` > ?))', params: [1, 1, 'x'] });
    expect(bytes(keyRangeBytes(keyedText, null, [5, 'é'])))
      .toBe("NOT ((`a` > 5) OR (`a` = 5 AND `b` > CONVERT(_utf8mb4'\xc3\xa9' USING latin1) COLLATE latin1_swedish_ci))");
    expect(bytes(keyRangeBytes(keyed, null, null))).toBe('1 = 1');
  });

  it('renders snapshot literals on the source by type', () => {
    expect(literalExpr({ name: 'b', dataType: 'bit' })).toContain('BIN(`b`)');
    expect(literalExpr({ name: 'g', dataType: 'point' })).toContain('HEX(`g`)');
    expect(literalExpr({ name: 'f', dataType: 'float' })).toContain('AS DOUBLE');
    // text as its stored bytes in hex (exact in any character set), enums as their index
    expect(literalExpr({ name: 's', dataType: 'varchar' })).toBe("IF(`s` IS NULL, 'NULL', CONCAT('X''', HEX(`s`), ''''))");
    expect(literalExpr({ name: 'e', dataType: 'enum' })).toBe("COALESCE(CAST(`e` + 0 AS CHAR), 'NULL')");
    expect(literalExpr({ name: 'd', dataType: 'date' })).toBe('CONVERT(QUOTE(`d`) USING utf8mb4)');
  });

  it('splits multi-row INSERTs near 4 MB', () => {
    const big = 'x'.repeat(1 << 20);
    const batches = insertBatches('`t`', ['a'], Array.from({ length: 9 }, () => `('${big}')`));
    expect(batches.length).toBe(3);
    expect(batches[0]).toMatch(/^INSERT INTO `t` \(`a`\) VALUES \('x+'\),\('x+'\)/);
  });
});

describe('keys and positions', () => {
  it('prefers the primary key, then a NOT NULL unique key, never a nullable one', () => {
    const rows = [
      { idx: 'u_null', col: 'n', nullable: 'YES', seq: 1, non_unique: 0 },
      { idx: 'u_ok', col: 'c', nullable: 'NO', seq: 1, non_unique: 0 },
    ];
    expect(chooseKey(rows, new Set())).toEqual({ key: ['c'], keyKind: 'unique' });
    expect(chooseKey([...rows, { idx: 'PRIMARY', col: 'id', nullable: 'NO', seq: 1, non_unique: 0 }], new Set()).keyKind).toBe('primary');
    expect(chooseKey([rows[0]!], new Set())).toEqual({ key: [], keyKind: 'none' });
  });

  it('never keys by a non-unique index or a unique key over a generated column, and orders key parts by position', () => {
    const part = (idx: string, col: string, seq: number, non_unique = 0) => ({ idx, col, nullable: 'NO', seq, non_unique });
    expect(chooseKey([part('a_plain', 'x', 1, 1), part('b_gen', 'g', 1), part('c_ok', 'b', 2), part('c_ok', 'a', 1)], new Set(['g'])))
      .toEqual({ key: ['a', 'b'], keyKind: 'unique' });
  });

  it('orders binlog positions by file number, then offset', () => {
    expect(comparePositions({ file: 'mysql-bin.000009', pos: 900 }, { file: 'mysql-bin.000010', pos: 4 })).toBe(-1);
    expect(comparePositions({ file: 'b.000002', pos: 10 }, { file: 'b.000002', pos: 10 })).toBe(0);
    expect(comparePositions({ file: 'b.000002', pos: 11 }, { file: 'b.000002', pos: 10 })).toBe(1);
  });

  it('keeps binary keys exact through the JSON checkpoint', () => {
    const key = [Buffer.from([0, 255, 32]), 'a', 5];
    expect(decodeKey(JSON.parse(JSON.stringify(encodeKey(key))))).toEqual(key);
  });

  it('retries maxRetries times at retryDelay, then backs off exponentially up to 5 minutes', () => {
    const settings = { maxRetries: 3, retryDelay: 5000 };
    expect([1, 2, 3].map((a) => retryDelayMs(a, true, settings))).toEqual([5000, 5000, 5000]);
    expect(retryDelayMs(4, true, settings)).toBe(10_000);
    expect(retryDelayMs(20, true, settings)).toBe(300_000);
  });
});
