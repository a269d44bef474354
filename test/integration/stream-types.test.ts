/**
 * Values at the edges of their types, through every path that writes rows: the snapshot
 * (LOAD DATA and the INSERT fallback) and the stream (insert, update and delete by key).
 * Compared byte for byte on the servers (HEX of every column), never through the driver.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { diffDumps, dumpTable, startPair } from '../helpers/data-fixtures.js';

const SET64 = Array.from({ length: 64 }, (_, i) => `'m${i}'`).join(',');

const EDGES = `CREATE TABLE edges (
  k1 VARCHAR(8) CHARACTER SET latin1 NOT NULL, k2 VARCHAR(8) CHARACTER SET sjis NOT NULL,
  y YEAR, e ENUM('a','b'), s64 SET(${SET64}),
  l1 TEXT CHARACTER SET latin1, c1250 VARCHAR(50) CHARACTER SET cp1250, sj VARCHAR(50) CHARACTER SET sjis,
  u2 VARCHAR(20) CHARACTER SET ucs2, nopad VARCHAR(20) COLLATE utf8mb4_nopad_bin, uca VARCHAR(20) COLLATE utf8mb4_uca1400_ai_ci,
  d DATE, dt DATETIME(6), t TIME(6),
  PRIMARY KEY (k1, k2)
) DEFAULT CHARSET=utf8mb4`;

const LATIN1_HIGH = `UNHEX('${Array.from({ length: 128 }, (_, i) => (0x80 + i).toString(16)).join('')}')`;

const ROWS = [
  `(X'E981', X'82A0', 0, 0, 18446744073709551615, ${LATIN1_HIGH}, X'8A9A9EA5', X'83548393835C815C', 'aé', 'trail ', 'ÄÖÜ',
    '0000-00-00', '0000-00-00 00:00:00.000000', '-00:01:00.000000')`,
  `(X'8D8F', X'5C5C', 2155, 2, 1, X'819D8F90', NULL, X'955C', NULL, 'a', 'a', '2024-00-15', '2024-02-00 01:02:03.5', '-838:59:59.000000')`,
  `('plain', 'x', 1901, 1, 0, '', '', '', '', '', '', '1000-01-01', '9999-12-31 23:59:59.999999', '838:59:59.000000')`,
];

describe('type edges through snapshot and stream', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createContext('stypes');
    await t.source.query("SET SESSION sql_mode = ''");
    await t.source.query(EDGES);
  });
  afterEach(async () => { await t.close(); });

  const pair = { pair: { schema: true } };

  async function expectSame(): Promise<void> {
    expect(diffDumps(await dumpTable(t.source, t.sourceDb, 'edges'), await dumpTable(t.target, t.targetDb, 'edges'))).toEqual([]);
  }

  for (const loadData of ['1', '0']) {
    it(`copies zero YEAR, ENUM '', a full SET, legacy 8-bit text and every collation family (LOAD DATA ${loadData === '1' ? 'on' : 'off'})`, async () => {
      await t.source.query(`INSERT INTO edges VALUES ${ROWS.join(',')}`);
      process.env.DB_SYNC_SNAPSHOT_LOAD_DATA = loadData;
      try {
        await startPair(t, { once: true, ...pair }).done;
      } finally {
        delete process.env.DB_SYNC_SNAPSHOT_LOAD_DATA;
      }
      await expectSame();
    });
  }

  it('streams the same values: inserts, updates and deletes by keys in latin1 and sjis', async () => {
    await startPair(t, { once: true, ...pair }).done;
    await t.source.query(`SET SESSION sql_mode = ''; INSERT INTO edges VALUES ${ROWS.join(',')}`);
    await startPair(t, { once: true, ...pair }).done;
    await expectSame();
    await t.source.query(`SET SESSION sql_mode = '';
      UPDATE edges SET y = 0, e = 0, l1 = CONCAT(l1, X'81'), sj = X'8140' WHERE k1 = X'8D8F';
      UPDATE edges SET k1 = X'9D', e = 'a', y = 2000 WHERE k2 = X'82A0';
      DELETE FROM edges WHERE k1 = 'plain'`);
    await startPair(t, { once: true, ...pair }).done;
    await expectSame();
  });
});
