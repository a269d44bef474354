import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';

describe('verify reports schema drift', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createContext('vdrift');
    ctx.writeConfig({ pair: {} });
    await ctx.source.query('CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(10))');
    await ctx.target.query('CREATE TABLE t (id INT PRIMARY KEY, a INT)');
    await ctx.source.query('CREATE TABLE same (id INT PRIMARY KEY, v INT)');
    await ctx.target.query('CREATE TABLE same (id INT PRIMARY KEY, v INT)');
    await ctx.source.query('INSERT INTO same VALUES (1, 1)');
    await ctx.target.query('INSERT INTO same VALUES (1, 1)');
    await ctx.source.query('CREATE VIEW v AS SELECT id FROM same');
  });
  afterAll(async () => ctx?.close());

  it('lists the table and view changes the target needs, skips rows of the drifted table, and exits 1', async () => {
    const r = await ctx.cli(['verify', 'p', '--no-recheck']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('schema DRIFT: 2 change(s)');
    expect(r.stdout).toContain('  - table t: alter');
    expect(r.stdout).toContain('  - view v: create');
    expect(r.stdout).toContain('t: SCHEMA DIFFERS (rows not compared)');
    expect(r.stdout).toContain('  - column b missing on target');
    expect(r.stdout).toContain('same: OK (1 rows, 1 chunks)');
    const json = JSON.parse((await ctx.cli(['verify', 'p', '--json', '--no-recheck'])).stdout) as { equal: boolean; schemaDrift: string[] };
    expect(json.equal).toBe(false);
    expect(json.schemaDrift).toEqual(['table t: alter', 'view v: create']);
  });

  it('says the schema was not checked with --no-schema', async () => {
    const r = await ctx.cli(['verify', 'p', '--no-recheck', '--no-schema', '--table', 'same']);
    expect(r.stdout).toContain('schema: not checked (--no-schema)');
    expect(r.code).toBe(0);
  });

  it('compares rows of a table whose target columns are in another order and nullability', async () => {
    await ctx.source.query('CREATE TABLE ord (id INT PRIMARY KEY, x INT NOT NULL, y VARCHAR(5) NULL)');
    await ctx.target.query('CREATE TABLE ord (id INT PRIMARY KEY, y VARCHAR(5) NULL, x INT NULL)');
    await ctx.source.query("INSERT INTO ord VALUES (1, 1, 'a'), (2, 2, NULL)");
    await ctx.target.query("INSERT INTO ord (id, x, y) VALUES (1, 1, 'a'), (2, 3, NULL)");
    const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--no-schema', '--table', 'ord']);
    const t = JSON.parse(r.stdout).tables[0];
    expect(t).toMatchObject({ status: 'differs', missing: 0, extra: 0, different: 1, examples: { different: ['2'] } });
  });
});
