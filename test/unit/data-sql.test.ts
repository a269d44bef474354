import { describe, expect, it } from 'vitest';
import { chooseKey, type ColumnInfo, type TableInfo } from '../../src/core/db/table-info.js';
import { deleteRow, insertRow, keyAfter, keyRange, literalExpr, updateRow } from '../../src/core/db/row-sql.js';
import { comparePositions } from '../../src/core/data/events.js';
import { statementTarget } from '../../src/core/data/statement-tables.js';
import { decodeKey, encodeKey, insertBatches } from '../../src/core/data/snapshot.js';
import { backoffDelay } from '../../src/core/data/supervisor.js';

const col = (name: string, dataType: string, generated = false): ColumnInfo => ({ name, dataType, nullable: false, generated, onUpdateTimestamp: false, charset: null, collation: null });
const keyed: TableInfo = {
  schema: 'd', name: 't', keyKind: 'primary', key: ['a', 'b'],
  columns: [col('a', 'int'), col('b', 'varchar'), col('v', 'blob'), col('g', 'int', true)],
  writable: ['a', 'b', 'v'], indexedFirst: ['a'], transactional: true, foreignKeys: [],
};
const keyless: TableInfo = { ...keyed, key: [], keyKind: 'none' };

describe('row SQL', () => {
  it('inserts only writable columns (generated columns are recomputed by the target)', () => {
    expect(insertRow(keyed, { a: 1, b: 'x', v: null, g: 5 })).toEqual({
      sql: 'INSERT INTO `d`.`t` (`a`, `b`, `v`) VALUES (?, ?, ?)', params: [1, 'x', null],
    });
  });

  it('updates and deletes by the key of the before image only', () => {
    expect(updateRow(keyed, { a: 1, b: 'x', v: 'old' }, { a: 2, b: 'x', v: 'new' })).toEqual({
      sql: 'UPDATE `d`.`t` SET `a` = ?, `b` = ?, `v` = ? WHERE `a` = ? AND `b` = ?', params: [2, 'x', 'new', 1, 'x'],
    });
    expect(deleteRow(keyed, { a: 1, b: 'x', v: 'old' }).sql).toBe('DELETE FROM `d`.`t` WHERE `a` = ? AND `b` = ?');
  });

  it('matches a keyless row by its whole before image, NULL-safe, one row only', () => {
    expect(deleteRow(keyless, { a: 1, b: null, v: 'z' })).toEqual({
      sql: 'DELETE FROM `d`.`t` WHERE `a` <=> ? AND `b` <=> ? AND `v` <=> ? LIMIT 1', params: [1, null, 'z'],
    });
  });

  it('expands a composite keyset predicate so the server can range-scan it', () => {
    expect(keyAfter(['a', 'b'], [1, 'x'])).toEqual({ sql: '((`a` > ?) OR (`a` = ? AND `b` > ?))', params: [1, 1, 'x'] });
    expect(keyRange(['a'], null, [5])).toEqual({ sql: 'NOT (`a` > ?)', params: [5] });
    expect(keyRange(['a'], null, null).sql).toBe('1 = 1');
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
    expect([1, 2, 3].map((a) => backoffDelay(a, 3, 5000))).toEqual([5000, 5000, 5000]);
    expect(backoffDelay(4, 3, 5000)).toBe(10_000);
    expect(backoffDelay(20, 3, 5000)).toBe(300_000);
  });
});

describe('statements in the stream', () => {
  it('finds the tables a DDL statement touches in the synced database', () => {
    expect(statementTarget('ALTER TABLE `t` ADD COLUMN x INT', 'db', 'db')).toEqual({ kind: 'ddl', tables: ['t'] });
    expect(statementTarget('RENAME TABLE a TO b, `c` TO db.d', 'db', 'db')).toEqual({ kind: 'ddl', tables: ['a', 'b', 'c', 'd'] });
    expect(statementTarget('DROP TABLE IF EXISTS `x` /* generated by server */', 'db', 'db')).toEqual({ kind: 'ddl', tables: ['x'] });
    expect(statementTarget('CREATE INDEX i ON other.t (a)', 'db', 'db')).toEqual({ kind: 'none' });
    expect(statementTarget('ALTER TABLE t ADD c INT', 'otherdb', 'db')).toEqual({ kind: 'none' });
    expect(statementTarget('CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @a = 1', 'db', 'db')).toEqual({ kind: 'ddl', tables: 'all' });
  });

  it('recognises TRUNCATE (logged as a statement, never as row events)', () => {
    expect(statementTarget('TRUNCATE TABLE `db`.`t`', 'x', 'db')).toEqual({ kind: 'truncate', table: 't' });
    expect(statementTarget('truncate t', 'db', 'db')).toEqual({ kind: 'truncate', table: 't' });
  });
});
