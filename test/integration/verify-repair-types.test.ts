import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';

const TYPES = `CREATE TABLE typed (
  k VARCHAR(20) NOT NULL, n INT NOT NULL,
  u BIGINT UNSIGNED, d DECIMAL(65,30), f FLOAT, g DOUBLE, bt BIT(10),
  dt DATETIME(6), ts TIMESTAMP(6) NULL, dd DATE, tm TIME(3), y YEAR,
  c CHAR(5), b BINARY(4), vb VARBINARY(10), bl BLOB, tx TEXT CHARACTER SET latin1, j JSON,
  e ENUM('a','b'), s SET('x','y'), geo GEOMETRY NULL,
  gen INT AS (n * 2) VIRTUAL,
  PRIMARY KEY (k, n), UNIQUE KEY uk (u)
) ENGINE=InnoDB`;

const ROWS = `INSERT INTO typed (k, n, u, d, f, g, bt, dt, ts, dd, tm, y, c, b, vb, bl, tx, j, e, s, geo) VALUES
  ('a', 1, 18446744073709551615, '12345678901234567890123456789012345.123456789012345678901234567890', 1.5, 0.1, b'1010101010',
   '0000-00-00 00:00:00', '2038-01-19 03:14:07.999999', '0000-00-00', '-838:59:59.000', 2155, 'ab ', X'61000000', X'00FF20', X'000102', 'caf\\xe9', '{"big": 123456789012345678901234567890, "s": "x"}', 'b', 'x,y', ST_GeomFromText('POINT(1 2)', 4326)),
  ('a', 2, 9007199254740993, '-0.000000000000000000000000000001', -3.4e38, 1.7976931348623157e308, b'0', '2020-02-29 23:59:59.5', NULL, '2020-01-01', '12:00:00', 1901, '', X'20202020', '', '', '', '[]', 'a', '', NULL),
  ('b\\'q', 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, X'00000000', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`;

// FLOAT and DOUBLE as the server prints a DOUBLE: every bit (HEX(f) would round to an integer
// first, and FLOAT as text keeps 6 digits).
const DUMP = `SELECT k, n, u, d, CONCAT(CAST(f AS DOUBLE)) AS f, CONCAT(g) AS g, HEX(bt) AS bt, dt, ts, dd, tm, y, HEX(c) AS c, HEX(b) AS b, HEX(vb) AS vb, HEX(bl) AS bl, HEX(tx) AS tx, HEX(j) AS j, e, s, HEX(geo) AS geo, gen
  FROM typed ORDER BY k, n`;

async function dump(db: TestContext['source']): Promise<unknown[]> {
  await db.query("SET time_zone = '+00:00'");
  const [rows] = (await db.query(DUMP)) as unknown as [unknown[]];
  return rows;
}

describe('repair keeps every value exact', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createContext('vtypes');
    ctx.writeConfig({ pair: {} });
    for (const db of [ctx.source, ctx.target]) {
      await db.query("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'");
      await db.query(TYPES);
    }
    await ctx.source.query("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'");
    await ctx.source.query(ROWS);
  });
  afterAll(async () => ctx?.close());

  it('copies rows with extreme values under a composite key and then reports the table equal', async () => {
    const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--repair']);
    expect(r.stderr).toBe('');
    const t = JSON.parse(r.stdout).tables[0];
    expect(t).toMatchObject({ status: 'differs', missing: 3, repaired: { inserted: 3, conflicts: [] } });
    expect(t.examples.missing).toEqual(["('a', 1)", "('a', 2)", "('b''q', 1)"]);
    expect(await dump(ctx.target)).toEqual(await dump(ctx.source));
    expect((await ctx.cli(['verify', 'p', '--no-recheck'])).code).toBe(0);
  });

  it('finds a change of FLOAT, JSON and geometry values and repairs them exactly', async () => {
    // The next FLOAT after 1.5: both print '1.5' as text, they differ in the last bit.
    await ctx.target.query("UPDATE typed SET f = 1.5000001 WHERE k = 'a' AND n = 1");
    const [[flt]] = (await ctx.target.query("SELECT CAST(f AS DOUBLE) <> 1.5 AS changed FROM typed WHERE k = 'a' AND n = 1")) as unknown as [[{ changed: number }]];
    expect(Number(flt.changed)).toBe(1);
    await ctx.target.query("UPDATE typed SET j = '{\"big\": 123456789012345678901234567891, \"s\": \"x\"}' WHERE k = 'a' AND n = 2");
    await ctx.target.query("UPDATE typed SET geo = ST_GeomFromText('POINT(1 2)', 0) WHERE k = 'b''q'");
    const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--repair']);
    const t = JSON.parse(r.stdout).tables[0];
    expect(t).toMatchObject({ different: 3, repaired: { replaced: 3, conflicts: [] } });
    expect(await dump(ctx.target)).toEqual(await dump(ctx.source));
    expect((await ctx.cli(['verify', 'p', '--no-recheck'])).code).toBe(0);
  });

  it('replaces rows that swap unique values and inserts a missing row whose unique value a changed row frees', async () => {
    await ctx.target.query("DELETE FROM typed WHERE k = 'a' AND n = 2");
    // ('a', 1) and ('b'q', 1) swap their unique u values on the target (b'q has NULL on the source).
    await ctx.target.query("UPDATE typed SET u = NULL WHERE k = 'a' AND n = 1");
    await ctx.target.query("UPDATE typed SET u = 18446744073709551615 WHERE k = 'b''q'");
    // ('a', 2) is missing; its u value is held on the target by a row that differs.
    await ctx.source.query("INSERT INTO typed (k, n, u, b) VALUES ('z', 9, 5, X'00')");
    await ctx.target.query("INSERT INTO typed (k, n, u, b) VALUES ('z', 9, 9007199254740993, X'00')");
    const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--repair']);
    const t = JSON.parse(r.stdout).tables[0];
    expect(t).toMatchObject({ missing: 1, different: 3 });
    expect(t.repaired).toEqual({ inserted: 1, replaced: 3, deleted: 0, conflicts: [] });
    expect(await dump(ctx.target)).toEqual(await dump(ctx.source));
    expect((await ctx.cli(['verify', 'p', '--no-recheck'])).code).toBe(0);
  });

  it('reports a row it cannot write because another target row holds its unique key, and writes the rest', async () => {
    // Drift the verify does not see: a unique key only on the target.
    await ctx.source.query('CREATE TABLE conf (id INT PRIMARY KEY, c INT)');
    await ctx.target.query('CREATE TABLE conf (id INT PRIMARY KEY, c INT, UNIQUE KEY (c))');
    await ctx.source.query('INSERT INTO conf VALUES (1, 7), (2, 7), (3, 8)');
    await ctx.target.query('INSERT INTO conf VALUES (1, 7)');
    const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--repair', '--table', 'conf']);
    const t = JSON.parse(r.stdout).tables[0];
    expect(t.repaired).toEqual({ inserted: 1, replaced: 0, deleted: 0, conflicts: ['2'] });
    const [rows] = (await ctx.target.query('SELECT id, c FROM conf ORDER BY id')) as unknown as [unknown[]];
    expect(rows).toEqual([{ id: 1, c: 7 }, { id: 3, c: 8 }]);
    const again = await ctx.cli(['verify', 'p', '--table', 'conf', '--no-recheck', '--repair']);
    expect(again.stdout).toContain('1 unique-key conflicts (e.g. 2)');
  });
});
