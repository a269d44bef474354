import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { planSchema, runSchemaStep, syncSchema } from '../../src/core/pair/schema-step.js';
import type { SyncError } from '../../src/core/errors.js';
import { pairFor, run, snapshot } from './schema-helpers.js';

describe('destructive changes', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createContext('schemads');
    await run(ctx.source, [
      'CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(20), b INT, c INT, e INT)',
      'CREATE TABLE old_stuff (id INT PRIMARY KEY)',
    ]);
    await syncSchema(pairFor(ctx));
    await run(ctx.target, ["INSERT INTO t VALUES (1, 'abcdefghij', 300, 7, 1)", 'INSERT INTO old_stuff VALUES (1)']);
    await run(ctx.source, [
      'ALTER TABLE t DROP COLUMN c, MODIFY a VARCHAR(5), MODIFY b TINYINT, ADD COLUMN d INT AFTER id, MODIFY e INT NOT NULL',
      'DROP TABLE old_stuff',
    ]);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('are blocked by default: plan marks them pending with the reason and exits 2', async () => {
    ctx.writeConfig({ pair: { data: false } });
    const res = await ctx.cli(['plan', 'p']);
    expect(res.code).toBe(2);
    expect(res.stdout).toContain('table `old_stuff`: drop  [DESTRUCTIVE, pending: allowDestructive is off]');
    expect(res.stdout).toContain('reason: drops table `old_stuff` and all its rows (not on the source)');
    expect(res.stdout).toContain('reason: drops column `c` and its values');
    expect(res.stdout).toContain('reason: column `a` narrows varchar(20) to varchar(5)');
    expect(res.stdout).toContain('reason: column `b` narrows int(11) to tinyint(4)');
    expect(res.stdout).toContain('reason: column `e` becomes NOT NULL (existing NULLs would be replaced)');
  });

  it('sync applies only the safe part, keeps data, and reports the rest as pending in status', async () => {
    const pair = pairFor(ctx);
    await runSchemaStep(pair, {});
    const [rows] = await ctx.target.query('SELECT * FROM t');
    expect(rows).toEqual([{ id: 1, d: null, a: 'abcdefghij', b: 300, e: 1, c: 7 }]);
    const [tables] = await ctx.target.query("SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1");
    expect(tables).toEqual([{ n: 'old_stuff' }, { n: 't' }]);
    const warnings = pair.status.current().warnings;
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^schema: pending destructive change on table `old_stuff`: drops table/);
    expect(warnings[1]).toMatch(/^schema: pending destructive change on table `t`: drops column `c`.*narrows varchar\(20\)/);
    const again = await planSchema(pair);
    expect(again.steps.map((s) => `${s.name} ${s.action} pending=${s.pending}`)).toEqual(['old_stuff drop pending=true', 't alter pending=true']);
  });

  it('are applied once the pair allows them, and the target then equals the source', async () => {
    await ctx.target.query("UPDATE t SET a = 'abc', b = 3");
    const pair = pairFor(ctx, { allowDestructive: true });
    const res = await syncSchema(pair);
    expect(res.plan.steps.every((s) => s.destructive && !s.pending)).toBe(true);
    expect(await snapshot(ctx.target, 'target')).toEqual(await snapshot(ctx.source, 'source'));
    expect((await planSchema(pair)).steps).toEqual([]);
    expect(pair.status.current().warnings).toEqual([]);
  });
});

describe('apply failures and scoped runs', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createContext('schemafail');
    await run(ctx.source, ['CREATE TABLE t (id INT PRIMARY KEY, b INT)', 'CREATE TABLE u (id INT PRIMARY KEY)']);
    await syncSchema(pairFor(ctx));
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('stops with SCHEMA_APPLY_FAILED naming the object, statement and server message, and a re-run continues', async () => {
    await run(ctx.target, ['INSERT INTO t VALUES (1, -5)']);
    await run(ctx.source, ['CREATE TABLE new_one (id INT PRIMARY KEY)', 'ALTER TABLE t ADD CONSTRAINT chk_b CHECK (b > 0)']);
    const err = (await syncSchema(pairFor(ctx)).catch((e: unknown) => e)) as SyncError;
    expect(err.code).toBe('SCHEMA_APPLY_FAILED');
    expect(err.message).toContain('applying table "t" failed: CONSTRAINT `chk_b` failed');
    expect(err.message).toContain('statement: ALTER TABLE `t`\n  ADD CONSTRAINT `chk_b` CHECK (`b` > 0)');
    expect(err.details.statement).toBe('ALTER TABLE `t`\n  ADD CONSTRAINT `chk_b` CHECK (`b` > 0)');
    // the step before the failing one stays applied; the re-plan shows only what is left
    const left = await planSchema(pairFor(ctx));
    expect(left.steps.map((s) => `${s.name} ${s.action}`)).toEqual(['t alter']);
    await run(ctx.target, ['UPDATE t SET b = 5']);
    await syncSchema(pairFor(ctx));
    expect(await snapshot(ctx.target, 'target')).toEqual(await snapshot(ctx.source, 'source'));
  });

  it('a view that replaces a table waits for the allowed table drop instead of failing', async () => {
    await run(ctx.source, ['CREATE TABLE thing (id INT PRIMARY KEY)']);
    await syncSchema(pairFor(ctx));
    await run(ctx.source, ['DROP TABLE thing', 'CREATE VIEW thing AS SELECT id FROM t']);
    const blocked = await syncSchema(pairFor(ctx));
    expect(blocked.plan.warnings).toEqual(["view `thing` waits: table `thing` must be dropped first (destructive; allow it on the pair)"]);
    expect(blocked.plan.steps.map((s) => `${s.objectType} ${s.name} ${s.action} pending=${s.pending}`)).toEqual(['table thing drop pending=true']);
    await syncSchema(pairFor(ctx, { allowDestructive: true }));
    expect(await snapshot(ctx.target, 'target')).toEqual(await snapshot(ctx.source, 'source'));
  });

  it('with `tables` only compares those tables (what the data pipeline does after DDL)', async () => {
    await run(ctx.source, ['ALTER TABLE t ADD COLUMN x INT', 'ALTER TABLE u ADD COLUMN y INT']);
    const pair = pairFor(ctx);
    pair.status.update({ state: 'streaming' });
    const res = await syncSchema(pair, { tables: ['t'] });
    expect(pair.status.current().state).toBe('streaming');
    expect(res.plan.steps.map((s) => s.name)).toEqual(['t']);
    const left = await planSchema(pair);
    expect(left.steps.map((s) => s.name)).toEqual(['u']);
  });
});
