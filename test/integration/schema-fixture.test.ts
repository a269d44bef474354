import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { planSchema, syncSchema } from '../../src/core/pair/schema-step.js';
import { openConnection } from '../../src/core/db/connection.js';
import { prepareApplySession } from '../../src/core/db/session.js';
import { FIXTURE, GUARD_PREFIX, GUARD_SUFFIX, pairFor, run, snapshot } from './schema-helpers.js';

describe('schema sync of a realistic schema to an empty target', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createContext('schemafx');
    await run(ctx.source, FIXTURE);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('the CLI plan lists every object, marks nothing destructive and exits 2', async () => {
    ctx.writeConfig({ pair: { data: false } });
    const res = await ctx.cli(['plan', 'p']);
    expect(res.code).toBe(2);
    for (const name of ['a_child', 'customer', 'weird `name` select', 'sales', 'a_view_on_view', 'fn_tax', 'sp_touch', 'trg_customer_ai', 'ev_cleanup']) {
      expect(res.stdout).toContain(`\`${name}\``);
    }
    expect(res.stdout).not.toContain('DESTRUCTIVE');
    expect(res.stdout).toMatch(/event `ev_cleanup`: create\n {2}note: created disabled on the target \(DISABLE ON SLAVE\)/);
    const unknown = await ctx.cli(['plan', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown sync pair "nope"');
    const json = await ctx.cli(['plan', 'p', '--json']);
    expect(json.code).toBe(2);
    const plan = JSON.parse(json.stdout) as { steps: Array<{ objectType: string; name: string; pending: boolean }> };
    expect(plan.steps.filter((s) => s.objectType === 'table').map((s) => s.name).sort()).toEqual(
      ['a_child', 'audit_log', 'country', 'customer', 'legacy', 'orders', 'place', 'sales', 'weird `name` select', 'z_parent']);
  });

  it('sync run --once makes every table, view, routine, trigger and event equal and a second plan is empty', async () => {
    // the strictest mode a MySQL 8 target would have by default
    await ctx.target.query("SET GLOBAL sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
    const res = await ctx.cli(['sync', 'run', 'p', '--once', '--log-level', 'warn']).finally(() => ctx.target.query('SET GLOBAL sql_mode = DEFAULT'));
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(await snapshot(ctx.target, 'target')).toEqual(await snapshot(ctx.source, 'source'));
    const again = await ctx.cli(['plan', 'p']);
    expect(again.stdout).toContain('nothing to do');
    expect(again.code).toBe(0);
  });

  it('creates tables without the source AUTO_INCREMENT counter', async () => {
    const [rows] = await ctx.target.query("SELECT AUTO_INCREMENT AS ai FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders'");
    expect((rows as Array<{ ai: string }>)[0]?.ai).toBe('1');
  });

  it('creates events disabled on the target (SLAVESIDE_DISABLED), a disabled one too, as a native replica has them', async () => {
    const [rows] = await ctx.target.query('SELECT EVENT_NAME AS n, STATUS AS s FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY 1');
    expect(rows).toEqual([{ n: 'ev_cleanup', s: 'SLAVESIDE_DISABLED' }, { n: 'ev_off', s: 'SLAVESIDE_DISABLED' }]);
  });

  it('keeps each routine\'s sql_mode (PIPES_AS_CONCAT) so it computes the same result', async () => {
    const [[src]] = (await ctx.source.query("SELECT fn_greet('x') AS g")) as unknown as [[{ g: string }]];
    const [[dst]] = (await ctx.target.query("SELECT fn_greet('x') AS g")) as unknown as [[{ g: string }]];
    expect(src.g).toBe('hi x');
    expect(dst.g).toBe('hi x');
  });

  it('wraps target triggers: a normal session fires the audit trigger, a db-sync apply session does not', async () => {
    const [[t]] = (await ctx.target.query("SELECT ACTION_STATEMENT AS b FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = 'trg_customer_ai'")) as unknown as [[{ b: string }]];
    expect(t.b).toBe(`${GUARD_PREFIX}INSERT INTO audit_log (customer_id, action) VALUES (NEW.id, 'insert')${GUARD_SUFFIX}`);
    await ctx.target.query("INSERT INTO country (id, name) VALUES (1, 'Peru')");
    await ctx.target.query("INSERT INTO customer (id, country_id, email) VALUES (1, 1, 'A@x')");
    const pair = pairFor(ctx);
    const db = await openConnection(pair.target);
    try {
      await prepareApplySession(db);
      await db.exec("INSERT INTO customer (id, country_id, email) VALUES (2, 1, 'B@x')");
    } finally {
      await db?.close();
    }
    const [audit] = await ctx.target.query('SELECT id, customer_id, action FROM audit_log ORDER BY id');
    expect(audit).toEqual([{ id: '1', customer_id: 1, action: 'insert' }]);
    const [emails] = await ctx.target.query('SELECT email FROM customer ORDER BY id');
    expect(emails).toEqual([{ email: 'a@x' }, { email: 'B@x' }]);
  });

  it('re-creates an unguarded trigger someone put on the target, guarded', async () => {
    await ctx.target.query('DROP TRIGGER trg_customer_bi2');
    await ctx.target.query('CREATE TRIGGER trg_customer_bi2 BEFORE INSERT ON customer FOR EACH ROW FOLLOWS trg_customer_bi SET NEW.born = IFNULL(NEW.born, 2000)');
    const plan = await planSchema(pairFor(ctx));
    expect(plan.steps.map((s) => `${s.objectType} ${s.name} ${s.action}`)).toEqual([
      'trigger trg_customer_bi drop', 'trigger trg_customer_bi2 drop', 'trigger trg_customer_bi replace', 'trigger trg_customer_bi2 replace',
    ]);
    await syncSchema(pairFor(ctx));
    expect(await snapshot(ctx.target, 'target')).toEqual(await snapshot(ctx.source, 'source'));
  });
});

describe('DEFINER rule and filters', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createContext('schemadef');
  });
  afterAll(async () => {
    await ctx.source.query("DROP USER IF EXISTS 'dbsync_src_only'@'%'").catch(() => undefined);
    await ctx?.close();
  });

  it('rewrites a DEFINER missing on the target to CURRENT_USER, keeps an existing one, and plans nothing afterwards', async () => {
    await run(ctx.source, [
      "CREATE USER IF NOT EXISTS 'dbsync_src_only'@'%'",
      'CREATE TABLE t (id INT PRIMARY KEY)',
      "CREATE DEFINER='dbsync_src_only'@'%' SQL SECURITY DEFINER VIEW v_ghost AS SELECT id FROM t",
      "CREATE DEFINER='dbsync_src_only'@'%' PROCEDURE p_ghost() SELECT 1",
      "CREATE DEFINER='root'@'localhost' PROCEDURE p_root() SELECT 2",
    ]);
    const pair = pairFor(ctx);
    await syncSchema(pair);
    const [rows] = await ctx.target.query("SELECT ROUTINE_NAME AS n, DEFINER AS d FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 1");
    expect(rows).toEqual([{ n: 'p_ghost', d: 'root@127.0.0.1' }, { n: 'p_root', d: 'root@localhost' }]);
    const [views] = await ctx.target.query("SELECT DEFINER AS d FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()");
    expect(views).toEqual([{ d: 'root@127.0.0.1' }]);
    expect((await planSchema(pair)).steps).toEqual([]);
  });

  it('skips excluded tables, and views and triggers on them with a warning', async () => {
    await run(ctx.source, [
      'CREATE TABLE secret_x (id INT PRIMARY KEY)',
      'CREATE TABLE _db_sync_own (id INT PRIMARY KEY)',
      'CREATE VIEW v_secret AS SELECT id FROM secret_x',
      'CREATE TRIGGER trg_secret BEFORE INSERT ON secret_x FOR EACH ROW SET NEW.id = NEW.id + 1',
    ]);
    const pair = pairFor(ctx, { exclude: ['secret_*'] });
    const res = await syncSchema(pair);
    expect(res.plan.warnings.sort()).toEqual([
      "trigger `trg_secret` skipped: its table `secret_x` is excluded by the pair's filters",
      "view `v_secret` skipped: it uses table `secret_x`, which the pair's filters exclude",
    ]);
    const [tables] = await ctx.target.query('SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1');
    expect(tables).toEqual([{ n: 't' }, { n: 'v_ghost' }]);
    expect(pair.status.current().warnings).toHaveLength(2);
    expect(pair.status.current().lastSchemaCheck).not.toBeNull();
  });
});
