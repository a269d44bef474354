import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';

// No primary key. uk_email sorts first but is nullable, so the row key is uk_region_num.
const ACCOUNTS = `CREATE TABLE accounts (
  region CHAR(2) NOT NULL,
  num INT UNSIGNED NOT NULL,
  name VARCHAR(40) NOT NULL,
  note VARCHAR(40) NULL,
  email VARCHAR(60) NULL,
  UNIQUE KEY uk_email (email),
  UNIQUE KEY uk_region_num (region, num),
  KEY k_name (name)
) ENGINE=InnoDB`;

const FILL = `INSERT INTO accounts SELECT ELT(1 + seq % 3, 'eu', 'us', 'ap'), seq DIV 3, CONCAT('n', seq),
  IF(seq % 7 = 0, NULL, CONCAT('note', seq)), IF(seq % 5 = 0, NULL, CONCAT('u', seq, '@x')) FROM seq_0_to_29999`;

// Its only unique key is nullable: no usable row key, compared as a whole.
const NOTES = 'CREATE TABLE notes (email VARCHAR(60) NULL, body VARCHAR(40) NOT NULL, UNIQUE KEY uk (email)) ENGINE=InnoDB';

/** Order-independent fingerprint of accounts, independent of db-sync's own checksum. */
async function fingerprint(db: TestContext['source']): Promise<string> {
  const [rows] = (await db.query(`SELECT COUNT(*) AS c, BIT_XOR(CRC32(CONCAT_WS('|', region, num, HEX(name), IFNULL(HEX(note), 'NULL'), IFNULL(HEX(email), 'NULL')))) AS x FROM accounts`)) as unknown as [Array<{ c: string; x: string }>];
  return `${rows[0]?.c}:${rows[0]?.x}`;
}

interface TableReport { table: string; status: string; chunks: number; missing: number; extra: number; different: number; noPrimaryKey?: boolean;
  examples: { missing: string[]; extra: string[]; different: string[] }; repaired?: { inserted: number; replaced: number; deleted: number; conflicts: string[] } }

describe('verify and repair of a table whose row key is a NOT NULL unique key', () => {
  let ctx: TestContext;
  const verify = async (args: string[]) => {
    const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--no-schema', ...args]);
    return { code: r.code, t: (JSON.parse(r.stdout) as { tables: TableReport[] }).tables[0] };
  };
  beforeAll(async () => {
    ctx = await createContext('vuniq');
    ctx.writeConfig({ pair: {} });
    for (const db of [ctx.source, ctx.target]) {
      await db.query(ACCOUNTS);
      await db.query(FILL);
      await db.query(NOTES);
      await db.query("INSERT INTO notes VALUES ('a@x', 'one'), (NULL, 'two'), (NULL, 'three')");
    }
  });
  afterAll(async () => ctx?.close());

  it('chunks by the composite unique key, locates a missing, an extra and a changed row by it, and repair fixes exactly those', async () => {
    await ctx.target.query("DELETE FROM accounts WHERE region = 'us' AND num = 5000"); // missing
    await ctx.target.query("INSERT INTO accounts VALUES ('zz', 1, 'extra', NULL, NULL)"); // extra
    await ctx.target.query("UPDATE accounts SET name = 'changed' WHERE region = 'eu' AND num = 9000"); // changed
    const before = await fingerprint(ctx.source);

    const found = await verify(['--table', 'accounts']);
    expect(found.code).toBe(1);
    expect(found.t).toMatchObject({ status: 'differs', missing: 1, extra: 1, different: 1 });
    expect(found.t?.noPrimaryKey).toBeUndefined();
    expect(found.t?.examples).toEqual({ missing: ["('us', 5000)"], extra: ["('zz', 1)"], different: ["('eu', 9000)"] });
    expect(found.t?.chunks).toBeGreaterThan(3);

    const fixed = await verify(['--table', 'accounts', '--repair']);
    expect(fixed.t?.repaired).toEqual({ inserted: 1, replaced: 1, deleted: 1, conflicts: [] });
    expect(await fingerprint(ctx.target)).toBe(before);
    expect(await fingerprint(ctx.source)).toBe(before);
    expect((await verify(['--table', 'accounts'])).code).toBe(0);
  });

  it('still compares a table whose only unique key is nullable as a whole, without keys or repair', async () => {
    await ctx.target.query("UPDATE notes SET body = 'TWO' WHERE body = 'two'");
    const r = await verify(['--table', 'notes', '--repair']);
    expect(r.code).toBe(1);
    expect(r.t).toMatchObject({ status: 'differs', chunks: 1, noPrimaryKey: true, examples: { missing: [], extra: [], different: [] } });
    expect(r.t?.repaired).toBeUndefined();
    const [rows] = (await ctx.target.query("SELECT COUNT(*) AS n FROM notes WHERE body = 'TWO'")) as unknown as [Array<{ n: number | string }>];
    expect(Number(rows[0]?.n)).toBe(1);
    const text = await ctx.cli(['verify', 'p', '--no-recheck', '--no-schema', '--table', 'notes']);
    expect(text.stdout).toContain('no primary key or NOT NULL unique key: rows not located, not repairable');
  });
});
