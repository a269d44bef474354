import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { copyTableDefs, diffDumps, dumpTable, dumpWithTool, startPair, waitTablesEqual } from '../helpers/data-fixtures.js';

const TORTURE = `CREATE TABLE torture (
  id INT PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
  i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  d65 DECIMAL(65,30), d10 DECIMAL(10,2), f FLOAT, dbl DOUBLE,
  b1 BIT(1), b7 BIT(7), b64 BIT(64),
  dt DATE, dtm0 DATETIME, dtm3 DATETIME(3), dtm6 DATETIME(6), ts0 TIMESTAMP NULL, ts6 TIMESTAMP(6) NULL,
  tm TIME, tm6 TIME(6), y YEAR,
  c CHAR(10), vc VARCHAR(100), tx TEXT, l1 VARCHAR(20) CHARACTER SET latin1, l1c CHAR(5) CHARACTER SET latin1,
  bn BINARY(6), vb VARBINARY(20), bl BLOB, lb LONGBLOB,
  e ENUM('a','b,c','ü'), st SET('x','y','z'), j JSON,
  g GEOMETRY, p POINT,
  gv INT AS (i + 1) VIRTUAL, gs VARCHAR(30) AS (CONCAT(LEFT(vc, 20), '!')) PERSISTENT
) DEFAULT CHARSET=utf8mb4`;

const COLS = 'id,ti,tiu,si,siu,mi,miu,i,iu,bi,biu,d65,d10,f,dbl,b1,b7,b64,dt,dtm0,dtm3,dtm6,ts0,ts6,tm,tm6,y,c,vc,tx,l1,l1c,bn,vb,bl,lb,e,st,j,g,p';

const NASTY = "CONCAT('a', CHAR(9), 'b', CHAR(10), 'c', CHAR(13), CHAR(0), CHAR(92), 'N', CHAR(92), CHAR(92), 'z', CHAR(92))";
/** Column position (in COLS) → value for the row of characters that need escaping. */
const SPECIAL_TEXT: Record<number, string> = {
  27: "CONCAT(CHAR(9), 'x ', CHAR(92))", 28: NASTY, 29: "CONCAT(CHAR(92), 'N')",
  30: "CONCAT(X'E9', CHAR(9), CHAR(92), X'FF', CHAR(10))", 31: 'CHAR(92)', 38: `JSON_OBJECT('k', ${NASTY})`,
};

function values(id: number): string[] {
  return [
    `(${id},-128,255,-32768,65535,-8388608,16777215,-2147483648,4294967295,-9223372036854775808,18446744073709551615,
      '-99999999999999999999999999999999999.999999999999999999999999999999', 12345678.99, 3.40282e38, 1.7976931348623157e308,
      b'1', b'1010101', b'1111111111111111111111111111111111111111111111111111111111111111',
      '1000-01-01', '9999-12-31 23:59:59', '2024-02-29 12:34:56.789', '1970-01-01 00:00:01.000001', '2038-01-19 03:14:07', '1970-01-01 00:00:01.000001',
      '-838:59:59', '838:59:59.999999', 2155,
      'trail  ', 'emoji 😀 ✓ 中文', REPEAT('long text ', 200), CONCAT('caf', X'E9', ' ', X'80'), 'ab  ',
      X'000102000000', X'00FF2000', X'00000000FF', REPEAT(X'00FF7F80', 1000),
      'b,c', 'x,z', '{"big": 18446744073709551615, "f": 1.000000000000000001, "s": "\\\\u00e9"}',
      ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0))', 4326), ST_GeomFromText('POINT(1.5 -2.25)', 0))`,
    `(${id + 1},127,0,32767,0,8388607,0,2147483647,0,9223372036854775807,0,
      '99999999999999999999999999999999999.999999999999999999999999999999', -0.01, -1.17549e-38, -2.2250738585072014e-308,
      b'0', b'0', b'0',
      '0000-00-00', '0000-00-00 00:00:00', '2000-01-01 00:00:00.001', '2000-01-01 00:00:00.999999', NULL, '2000-06-15 12:00:00.5',
      '-00:00:01', '-838:59:59.000000', 1901,
      '', '', '', '', '',
      X'', X'', X'', X'20',
      'ü', '', 'null',
      NULL, ST_GeomFromText('POINT(0 0)', 3857))`,
    `(${id + 2},${Array.from({ length: 40 }, () => 'NULL').join(',')})`,
    // the characters a text/TSV transfer must escape: TAB, LF, CR, NUL, backslash, a literal \N
    `(${id + 3},${Array.from({ length: 40 }, (_, i) => SPECIAL_TEXT[i + 1] ?? 'NULL').join(',')})`,
  ];
}

describe('type fidelity', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createContext('dtypes');
    await t.source.query("SET SESSION sql_mode = '', time_zone = '+05:30'");
    await t.source.query(TORTURE);
    await copyTableDefs(t, ['torture']);
  });
  afterEach(async () => { await t.close(); });

  async function expectIdentical(): Promise<void> {
    expect(diffDumps(await dumpTable(t.source, t.sourceDb, 'torture'), await dumpTable(t.target, t.targetDb, 'torture'))).toEqual([]);
    expect(dumpWithTool(t.ports.target, t.targetDb, 'torture')).toBe(dumpWithTool(t.ports.source, t.sourceDb, 'torture'));
  }

  it('copies every type bit-exact through the snapshot', async () => {
    await t.source.query(`INSERT INTO torture (${COLS}) VALUES ${values(1).join(',')}`);
    await startPair(t, { once: true }).done;
    await expectIdentical();
    const [[r]] = (await t.target.query('SELECT CAST(biu AS CHAR) AS biu, HEX(b64) AS b64, CAST(tm AS CHAR) AS tm FROM torture WHERE id = 1')) as unknown as [[Record<string, string>]];
    expect(r).toMatchObject({ biu: '18446744073709551615', b64: 'FFFFFFFFFFFFFFFF', tm: '-838:59:59' });
  });

  it('streams inserts, updates and deletes of every type bit-exact through the binlog', async () => {
    await startPair(t, { once: true }).done;
    const run = startPair(t);
    try {
      await t.source.query(`INSERT INTO torture (${COLS}) VALUES ${values(1).join(',')}`);
      await t.source.query(`INSERT INTO torture (${COLS}) VALUES ${values(10).join(',')}`);
      await t.source.query(`UPDATE torture SET biu = biu - 1, b64 = b'0101', dtm6 = '2001-02-03 04:05:06.000007', tm6 = '-12:00:00.5', f = 1.5, l1 = CONCAT(X'80', 'x'), bl = X'0000', j = '[1]', p = ST_GeomFromText('POINT(3 4)', 4326), e = 'a', st = 'y' WHERE id = 10`);
      await t.source.query('UPDATE torture SET id = id + 100 WHERE id = 11');
      await t.source.query('DELETE FROM torture WHERE id = 12');
      await t.source.query(`UPDATE torture SET ${COLS.split(',').slice(1).map((c) => `${c} = NULL`).join(', ')} WHERE id = 2`);
      await waitTablesEqual(t, ['torture']);
      await expectIdentical();
    } finally {
      await run.stop();
    }
  });
});
