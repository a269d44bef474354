import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { expectTablesEqual, pairContextFor, rows, waitTablesEqual } from '../helpers/data-fixtures.js';
import { runPair } from '../../src/core/pair/sync-pair.js';

async function showCreate(c: TestContext['source'], table: string): Promise<string> {
  const [r] = await rows<Record<string, string>>(c, `SHOW CREATE TABLE \`${table}\``);
  return String(r?.['Create Table']);
}

describe('schema and data together', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createContext('dpipe');
    await t.source.query(`CREATE TABLE a (id INT PRIMARY KEY, s VARCHAR(20), g INT AS (id * 2) PERSISTENT);
      CREATE TABLE b (k VARBINARY(8) PRIMARY KEY, v JSON);
      INSERT INTO a (id, s) VALUES (1, 'x'), (2, NULL); INSERT INTO b VALUES (X'00FF', '{"a": 1}');`);
  });
  afterEach(async () => { await t.close(); });

  it('creates the tables and copies the rows in one `sync run --once` of the built CLI, printing progress', async () => {
    t.writeConfig({ pair: { routines: false } });
    const r = await t.cli(['sync', 'run', 'p', '--once']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/snapshot \S+ \d+\/\d+ rows \(\d/);
    expect(r.stderr).toMatch(/snapshot done: 3 rows, 2 tables in \d/);
    await expectTablesEqual(t, ['a', 'b']);
    expect(await showCreate(t.target, 'a')).toBe(await showCreate(t.source, 'a'));
  });

  it('runs the schema step for DDL seen in the stream, then applies the rows that use the new column', async () => {
    const { ctx, abort } = pairContextFor(t, { schema: true, routines: false });
    await runPair(ctx, { once: true });
    const running = runPair(ctx, { once: false });
    try {
      await t.source.query("ALTER TABLE a ADD COLUMN extra VARCHAR(10) NOT NULL DEFAULT 'd'");
      await t.source.query("INSERT INTO a (id, s, extra) VALUES (3, 'y', 'new')");
      await t.source.query('CREATE TABLE c (id INT PRIMARY KEY)');
      await t.source.query('INSERT INTO c VALUES (7)');
      await waitTablesEqual(t, ['a', 'b', 'c']);
      expect(await showCreate(t.target, 'a')).toBe(await showCreate(t.source, 'a'));
    } finally {
      abort.abort();
      await running;
    }
  });

  it('brings views, procedures and triggers created while streaming to the target before later rows', async () => {
    const { ctx, abort } = pairContextFor(t, { schema: true, routines: true });
    await runPair(ctx, { once: true });
    const running = runPair(ctx, { once: false });
    try {
      await t.source.query('CREATE VIEW va AS SELECT id, s FROM a');
      await t.source.query('CREATE PROCEDURE pa(IN x INT) SELECT x * 2');
      await t.source.query('CREATE TABLE audit (n INT AUTO_INCREMENT PRIMARY KEY, id INT)');
      await t.source.query('CREATE TRIGGER a_ins AFTER INSERT ON a FOR EACH ROW INSERT INTO audit (id) VALUES (NEW.id)');
      await t.source.query("INSERT INTO a (id, s) VALUES (4, 'z')");
      await waitTablesEqual(t, ['a', 'b', 'audit']);
      const names = async (c: TestContext['source'], sql: string) => (await rows<Record<string, string>>(c, sql)).map((r) => Object.values(r)[0]).sort();
      const objects = "SELECT CONCAT(ROUTINE_TYPE, ' ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() UNION ALL SELECT CONCAT('VIEW ', TABLE_NAME) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() UNION ALL SELECT CONCAT('TRIGGER ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()";
      expect(await names(t.target, objects)).toEqual(await names(t.source, objects));
      expect(await names(t.target, objects)).toEqual(['PROCEDURE pa', 'TRIGGER a_ins', 'VIEW va']);
    } finally {
      abort.abort();
      await running;
    }
  });
});
