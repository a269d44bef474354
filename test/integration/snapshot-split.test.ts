/**
 * Where the parallel snapshot cuts a table into key ranges (src/core/data/snapshot-ranges.ts,
 * splitKeys): a dense integer key by arithmetic, at existing keys, exact for BIGINT UNSIGNED
 * values beyond 2^53; other keys by sampling. Then a copy split that way, its pages of dense keys
 * ended by arithmetic, equals the source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { copyTableDefs, rows } from '../helpers/data-fixtures.js';
import { openConnection, type Db } from '../../src/core/db/connection.js';
import { describeTable } from '../../src/core/db/table-info.js';
import { splitKeys } from '../../src/core/data/snapshot-ranges.js';
import { decodeKey, wholeLines } from '../../src/core/data/snapshot.js';
import { selectTsvBlock } from '../../src/core/db/row-sql.js';

const N = 3000;
// 2^64 - 10,000: every key beyond what a double holds exactly
const BASE = '18446744073709541615';

describe('snapshot split keys', () => {
  let t: TestContext;
  let db: Db;
  beforeAll(async () => {
    t = await createContext('split');
    await t.source.query(`
      CREATE TABLE huge (id BIGINT UNSIGNED PRIMARY KEY, v INT NOT NULL);
      CREATE TABLE neg (id INT PRIMARY KEY, v INT NOT NULL);
      CREATE TABLE sparse (id INT PRIMARY KEY, v INT NOT NULL);
      CREATE TABLE holes (id INT PRIMARY KEY, v INT NOT NULL);
      SET SESSION max_recursive_iterations = 100000;
      INSERT INTO huge WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N})
        SELECT ${BASE} + i + i DIV 10, i FROM n;
      INSERT INTO neg WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N})
        SELECT i - ${N / 2}, i FROM n;
      INSERT INTO sparse WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N})
        SELECT IF(i <= ${N / 2}, i, 1000000 + i), i FROM n;
      INSERT INTO holes WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N})
        SELECT IF(i <= ${N * 2 / 3}, i, ${N} + i), i FROM n;`);
    db = await openConnection({ name: 'src', host: '127.0.0.1', port: t.ports.source, user: 'root',
      password: '', database: t.sourceDb });
  });
  afterAll(async () => {
    await db?.close();
    await t.close();
  });

  /** Rows of each range cut at `keys` (hi inclusive), counted by the source. */
  async function rangeSizes(table: string, keys: unknown[][]): Promise<number[]> {
    const bounds = [null, ...keys.map((k) => String(decodeKey(k)[0])), null];
    const sizes: number[] = [];
    for (let i = 1; i < bounds.length; i++) {
      const lo = bounds[i - 1];
      const hi = bounds[i];
      const where = [lo === null ? '1=1' : `id > ${lo}`, hi === null ? '1=1' : `id <= ${hi}`].join(' AND ');
      const [r] = await rows<{ n: number }>(t.source, `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`);
      sizes.push(Number(r?.n));
    }
    return sizes;
  }

  // a block that is not whole lines is read again row by row (correct, only slower): the copy's
  // checksums cannot tell, so the block itself is checked
  it('reads a key range as one value of whole lines, one per row', async () => {
    const table = await describeTable(db, t.sourceDb, 'neg');
    await db.exec('SET SESSION group_concat_max_len = 4294967295');
    const st = selectTsvBlock(table!, [-100], [100]);
    const [[data, count]] = (await db.arrays(st.sql, st.params)) as [[Buffer, number | string]];
    expect(Number(count)).toBe(200);
    expect(wholeLines(data, 200)).toBe(true);
    expect(data.toString('latin1').split('\n')).toContain('-99\t1401'); // id = v - 1500
  });

  it('cuts dense integer keys at existing keys into about equal ranges, exactly beyond 2^53', async () => {
    for (const table of ['huge', 'neg']) {
      const info = await describeTable(db, t.sourceDb, table);
      const { keys, denseMax } = await splitKeys(db, info!, N, 4);
      expect(keys, table).toHaveLength(3);
      const [max] = await rows<{ m: string }>(t.source, `SELECT CAST(MAX(id) AS CHAR) AS m FROM ${table}`);
      expect(denseMax, table).toBe(max?.m);
      for (const k of keys) {
        const [r] = await rows<{ n: number }>(t.source, `SELECT COUNT(*) AS n FROM ${table} WHERE id = ${String(decodeKey(k)[0])}`);
        expect(Number(r?.n), `${table}: split key ${JSON.stringify(k)} is a key of the table`).toBe(1);
      }
      const sizes = await rangeSizes(table, keys);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(N);
      for (const n of sizes) expect(n, `${table}: ${sizes.join(', ')}`).toBeGreaterThan(N / 4 * 0.8);
    }
  });

  it('samples keys with a large gap by row count', async () => {
    const info = await describeTable(db, t.sourceDb, 'sparse');
    const { keys, denseMax } = await splitKeys(db, info!, N, 4);
    expect(denseMax).toBeNull();
    expect(await rangeSizes('sparse', keys)).toEqual([750, 750, 750, 750]);
  });

  // pages of dense keys end by arithmetic (snapshot.ts, pageEnd); holes: dense overall, with a
  // gap of N keys inside its last range: a page there comes back empty without ending the range
  it('copies tables split at those keys equal to the source', async () => {
    await copyTableDefs(t, ['huge', 'neg', 'sparse', 'holes']);
    await t.source.query('ANALYZE TABLE huge, neg, sparse, holes');
    t.writeConfig({ pair: { schema: false, routines: false }, settings: { snapshotParallel: 3 } });
    const r = await t.cli(['sync', 'run', 'p', '--once'], { env: { ...t.env, DB_SYNC_SNAPSHOT_CHUNK_ROWS: '100' } });
    expect(r.code, r.stderr).toBe(0);
    for (const table of ['huge', 'neg', 'sparse', 'holes']) {
      const [a] = await rows<{ Checksum: string }>(t.source, `CHECKSUM TABLE ${table}`);
      const [b] = await rows<{ Checksum: string }>(t.target, `CHECKSUM TABLE ${table}`);
      expect(String(b?.Checksum), table).toBe(String(a?.Checksum));
    }
  });
});
