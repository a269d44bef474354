import { describe, expect, it } from 'vitest';
import { integerBoundaries } from '../../src/core/checksum/boundaries.js';
import { canonicalRow, chunkChecksumSql } from '../../src/core/checksum/canonical.js';
import { classifyLeaf, intersectLeaf, nextChunkSize } from '../../src/core/checksum/classify.js';
import { rangePredicate, renderKey } from '../../src/core/checksum/key-range.js';
import { keyAfter, keyIn } from '../../src/core/db/keyset.js';
import type { ColumnInfo, TableInfo } from '../../src/core/db/table-info.js';
import { columnDrift } from '../../src/core/checksum/column-drift.js';

const col = (name: string, dataType: string, nullable = false): ColumnInfo => ({ name, dataType, nullable, generated: false, onUpdateTimestamp: false, charset: null, collation: null });

describe('key ranges', () => {
  it('expands a composite lower bound into a lexicographic OR of ANDs', () => {
    expect(keyAfter(['a', 'b'], [1, 2])).toEqual({ sql: '((`a` > ?) OR (`a` = ? AND `b` > ?))', params: [1, 1, 2] });
  });
  it('builds (lower, upper] for a single-column key and an open range for none', () => {
    expect(rangePredicate(['id'], { lower: [5], upper: [9] })).toEqual({ sql: '`id` > ? AND `id` <= ?', params: [5, 9] });
    expect(rangePredicate(['id'], { lower: null, upper: null })).toEqual({ sql: '1=1', params: [] });
  });
  it('uses a row-constructor IN list for composite key batches', () => {
    expect(keyIn(['a', 'b'], [[1, 'x'], [2, 'y']])).toEqual({ sql: '(`a`, `b`) IN ((?, ?), (?, ?))', params: [1, 'x', 2, 'y'] });
  });
  it('renders keys for reports with binary parts as hex', () => {
    expect(renderKey(['5'])).toBe('5');
    expect(renderKey(['7', 'ab', Buffer.from([0, 255])])).toBe("(7, 'ab', 0x00ff)");
  });
});

describe('canonical row text', () => {
  it('hexes strings and binaries, keeps numbers, and appends NULL flags of nullable columns', () => {
    const sql = canonicalRow([col('id', 'int'), col('s', 'varchar', true), col('b', 'blob'), col('j', 'json', true)]);
    expect(sql).toBe("CONCAT_WS('#', `id`, HEX(CONVERT(`s` USING utf8mb4)), HEX(`b`), HEX(CONVERT(`j` USING utf8mb4)), CONCAT(ISNULL(`s`), ISNULL(`j`)))");
  });
});

describe('leaf classification', () => {
  it('sorts rows into missing, extra and different by key and hash', () => {
    const d = classifyLeaf(
      [{ key: ['1'], hash: 'a' }, { key: ['2'], hash: 'b' }, { key: ['3'], hash: 'c' }],
      [{ key: ['2'], hash: 'b' }, { key: ['3'], hash: 'X' }, { key: ['4'], hash: 'd' }],
    );
    expect(d).toEqual({ missing: [['1']], extra: [['4']], different: [['3']] });
  });
  it('keeps only differences that persisted across a re-check', () => {
    const a = { missing: [['1']], extra: [['4']], different: [['3'], ['5']] };
    const b = { missing: [], extra: [['4']], different: [['5']] };
    expect(intersectLeaf(a, b)).toEqual({ missing: [], extra: [['4']], different: [['5']] });
  });
});

describe('adaptive chunk size', () => {
  it('grows at most 2x when fast, shrinks toward the target time when slow, within bounds', () => {
    expect(nextChunkSize(1000, 10, 500)).toBe(2000);
    expect(nextChunkSize(1000, 1000, 500)).toBe(500);
    expect(nextChunkSize(1000, 100_000, 500)).toBe(250);
    expect(nextChunkSize(150, 100_000, 500)).toBe(100);
  });
});

describe('chunk checksum SQL', () => {
  it('mixes CRC32C non-linearly, computed once per row in an unmerged derived table', () => {
    const sql = chunkChecksumSql('t', [col('id', 'int')], '1=1', 'crc');
    expect(sql).toBe("SELECT COUNT(*) AS c, BIT_XOR(((h << 32) | h) ^ (h * h)) AS x FROM (SELECT CRC32C(CONCAT_WS('#', `id`)) AS h FROM `t` WHERE 1=1 LIMIT 18446744073709551615) AS d");
  });
  it('falls back to 64 bits of MD5 where CRC32C is missing', () => {
    expect(chunkChecksumSql('t', [col('id', 'int')], '1=1', 'md5')).toBe("SELECT COUNT(*) AS c, BIT_XOR(CAST(CONV(LEFT(MD5(CONCAT_WS('#', `id`)), 16), 16, 10) AS UNSIGNED)) AS x FROM `t` WHERE 1=1");
  });
});

describe('integer chunk boundaries', () => {
  it('cuts key intervals from the density of the previous chunk and ends with an open chunk', async () => {
    const b = integerBoundaries(1n, 1000n);
    expect(await b.next(null, 100)).toEqual(['100']);
    b.observe(50); // half as dense as assumed: twice the width next
    expect(await b.next(['100'], 100)).toEqual(['300']);
    b.observe(0); // an empty interval doubles the width
    expect(await b.next(['300'], 100)).toEqual(['700']);
    b.observe(200);
    expect(await b.next(['700'], 1000)).toBeNull();
  });
});

describe('structure drift', () => {
  const info = (key: string[], keyKind: TableInfo['keyKind']): TableInfo => ({ schema: 's', name: 't', columns: [col('a', 'int'), col('b', 'varchar')],
    writable: ['a', 'b'], key, keyKind, indexedFirst: [], transactional: true });
  it('reports a different row key, naming its kind, and nothing for equal tables', () => {
    expect(columnDrift(info(['a', 'b'], 'unique'), info(['a', 'b'], 'unique'))).toEqual([]);
    expect(columnDrift(info(['a', 'b'], 'unique'), info([], 'none'))).toEqual(['row key UNIQUE (a, b) on source, (none) on target']);
    expect(columnDrift(info(['a'], 'primary'), info(['b'], 'unique'))).toEqual(['row key PRIMARY (a) on source, UNIQUE (b) on target']);
  });
});
