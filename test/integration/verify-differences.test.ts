import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';

const TABLE = `CREATE TABLE items (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(40) NOT NULL,
  note VARCHAR(40) NULL,
  bin BINARY(8) NOT NULL,
  data BLOB NOT NULL,
  amount DECIMAL(20,6) NOT NULL,
  at TIMESTAMP(6) NULL,
  UNIQUE KEY uk_name (name)
) ENGINE=InnoDB`;

const FILL = `INSERT INTO items SELECT seq, CONCAT('n', seq), IF(seq % 10 = 0, NULL, CONCAT('note', seq)), CAST(seq AS BINARY),
  REPEAT(CHAR(65 + seq % 26), 100), seq * 1.5, FROM_UNIXTIME(1700000000 + seq) FROM seq_1_to_100000`;

/**
 * A fingerprint of a table written independently of db-sync's own checksum, and unlike it not
 * linear: SHA-256 of every row's SHA-256 in key order. Two changes cannot cancel out here
 * (a BIT_XOR of CRC32s would let the same-byte-delta pair below pass unrepaired).
 */
async function fingerprint(db: TestContext['source']): Promise<string> {
  await db.query('SET SESSION group_concat_max_len = 1 << 30');
  const [rows] = (await db.query(`SELECT COUNT(*) AS c, SHA2(GROUP_CONCAT(SHA2(CONCAT_WS('|', id, HEX(name),
    IFNULL(HEX(note), 'NULL'), HEX(bin), HEX(data), amount, IFNULL(at, 'NULL')), 256) ORDER BY id SEPARATOR ''), 256) AS x
    FROM items`)) as unknown as [Array<{ c: string; x: string }>];
  return `${rows[0]?.c}:${rows[0]?.x}`;
}

interface Report { equal: boolean; tables: Array<{ table: string; status: string; missing: number; extra: number; different: number; rowsTransferred: number;
  examples: { missing: string[]; extra: string[]; different: string[] }; repaired?: { inserted: number; replaced: number; deleted: number; conflicts: string[] } }> }

describe('verify and repair', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createContext('verify');
    ctx.writeConfig({ pair: {} });
    for (const db of [ctx.source, ctx.target]) {
      await db.query(TABLE);
      await db.query(FILL);
    }
  });
  afterAll(async () => ctx?.close());

  it('reports equal 100,000-row tables as OK and exits 0', async () => {
    const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.equal).toBe(true);
    expect(report.tables).toMatchObject([{ table: 'items', status: 'ok', missing: 0, extra: 0, different: 0 }]);
  });

  it('finds each planted difference with its exact key, and repair fixes exactly those', async () => {
    await ctx.target.query(`DELETE FROM items WHERE id = 500`); // missing
    await ctx.target.query(`INSERT INTO items VALUES (200001, 'extra', NULL, 'x', 'y', 1, NULL)`); // extra
    await ctx.target.query(`UPDATE items SET name = 'changed' WHERE id = 1000`); // changed row
    await ctx.target.query(`UPDATE items SET note = '' WHERE id = 3000`); // NULL on source, '' on target
    await ctx.target.query(`UPDATE items SET bin = CONCAT(CAST(4000 AS BINARY), ' ') WHERE id = 4000`); // trailing space in BINARY
    await ctx.target.query(`UPDATE items SET data = CONCAT(LEFT(data, 49), CHAR(ASCII(SUBSTRING(data, 50, 1)) ^ 1), SUBSTRING(data, 51)) WHERE id = 5000`); // one BLOB byte
    // Two same-length rows changed by the same byte delta at the same offset ('1'->'0', '3'->'2'):
    // a plain XOR of CRCs would cancel out (CRC is linear); the row hash must not.
    await ctx.target.query(`UPDATE items SET note = 'note10' WHERE id = 11`);
    await ctx.target.query(`UPDATE items SET note = 'note12' WHERE id = 13`);
    const before = await fingerprint(ctx.source);

    for (const hash of ['crc', 'md5']) {
      const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--hash', hash]);
      expect(r.code).toBe(1);
      const t = (JSON.parse(r.stdout) as Report).tables[0];
      expect(t).toMatchObject({ status: 'differs', missing: 1, extra: 1, different: 6 });
      expect(t?.examples).toEqual({ missing: ['500'], extra: ['200001'], different: ['11', '13', '1000', '3000', '4000', '5000'] });
      // Only the differing leaves' (key, hash) rows crossed the wire, not the table.
      expect(t?.rowsTransferred).toBeLessThan(5000);
    }

    const fixed = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--repair']);
    expect(fixed.code).toBe(1);
    expect((JSON.parse(fixed.stdout) as Report).tables[0]?.repaired).toEqual({ inserted: 1, replaced: 6, deleted: 1, conflicts: [] });
    expect(await fingerprint(ctx.target)).toBe(before);
    expect(await fingerprint(ctx.source)).toBe(before);

    const again = await ctx.cli(['verify', 'p', '--no-recheck']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('items: OK (100000 rows');
  });

  it('copies whole ranges missing on the target and deletes ranges only on the target', async () => {
    await ctx.target.query('DELETE FROM items WHERE id BETWEEN 20001 AND 60000');
    await ctx.target.query('INSERT INTO items SELECT seq, CONCAT(\'e\', seq), NULL, \'b\', \'d\', 0, NULL FROM seq_300001_to_303000');
    const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--repair']);
    const t = (JSON.parse(r.stdout) as Report).tables[0];
    expect(t).toMatchObject({ status: 'differs', missing: 40000, extra: 3000, different: 0 });
    expect(t?.repaired).toMatchObject({ inserted: 40000, deleted: 3000, conflicts: [] });
    expect(await fingerprint(ctx.target)).toBe(await fingerprint(ctx.source));
  });

  it('exits 2 with a hint for a table the pair does not sync', async () => {
    const r = await ctx.cli(['verify', 'p', '--table', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a synced table');
    expect(r.stderr).toContain('hint:');
  });

  it('finds differences under a composite key with keyset chunks and median bisection', async () => {
    for (const db of [ctx.source, ctx.target]) {
      await db.query('CREATE TABLE comp (a INT NOT NULL, b VARCHAR(10) NOT NULL, v INT NOT NULL, PRIMARY KEY (a, b))');
      await db.query("INSERT INTO comp SELECT seq DIV 4, CONCAT('k', seq MOD 4), seq FROM seq_0_to_39999");
    }
    await ctx.target.query("DELETE FROM comp WHERE a = 5000 AND b = 'k2'");
    await ctx.target.query("INSERT INTO comp VALUES (5000, 'k2x', 1)");
    await ctx.target.query("UPDATE comp SET v = -1 WHERE a = 9999 AND b = 'k0'");
    const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--table', 'comp', '--repair']);
    const t = (JSON.parse(r.stdout) as Report).tables[0];
    expect(t).toMatchObject({ status: 'differs', missing: 1, extra: 1, different: 1 });
    expect(t?.examples).toEqual({ missing: ["(5000, 'k2')"], extra: ["(5000, 'k2x')"], different: ["(9999, 'k0')"] });
    expect((t as unknown as { chunks: number }).chunks).toBeGreaterThan(3);
    expect((await ctx.cli(['verify', 'p', '--no-recheck', '--table', 'comp'])).code).toBe(0);
  });
});
