import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rootConnection, createContext, type TestContext } from '../helpers/context.js';
import { copyTableDefs, expectTablesEqual, rows, startPair, waitTablesEqual } from '../helpers/data-fixtures.js';
import { runDataStep } from '../../src/core/pair/data-step.js';
import { pairContextFor } from '../helpers/data-fixtures.js';

describe('data sync scenarios', () => {
  let t: TestContext;
  beforeEach(async () => { t = await createContext('dscen'); });
  afterEach(async () => { await t.close(); });

  it('hands off from a snapshot taken under concurrent writes without missing or doubling a change', async () => {
    await t.source.query(`CREATE TABLE big (id INT PRIMARY KEY, v INT NOT NULL, u INT UNIQUE);
      SET SESSION max_recursive_iterations = 100000;
      INSERT INTO big WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 20000) SELECT n, 0, n FROM s;`);
    await copyTableDefs(t, ['big']);
    const writer = await rootConnection(t.ports.source, t.sourceDb);
    let stop = false;
    let n = 0;
    const writing = (async () => {
      while (!stop) {
        const id = 1 + ((n * 7919) % 20000);
        await writer.query('UPDATE big SET v = v + 1 WHERE id = ?', [id]);
        await writer.query('INSERT INTO big VALUES (?, 1, NULL)', [100000 + n]);
        await writer.query('DELETE FROM big WHERE id = ?', [id + 1]);
        n++;
      }
    })();
    process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS = '500';
    const run = startPair(t);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      stop = true;
      await writing;
      await waitTablesEqual(t, ['big']);
      expect(n).toBeGreaterThan(20);
    } finally {
      delete process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS;
      await run.stop();
      await writer.end();
    }
  });

  it('applies DDL from the stream before the rows that follow it (ADD COLUMN, then inserts using it)', async () => {
    await t.source.query('CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10))');
    await startPair(t, { once: true, pair: { schema: true } }).done; // schema + snapshot (empty table) first
    const run = startPair(t, { pair: { schema: true } });
    try {
      await t.source.query("INSERT INTO t VALUES (1, 'before'), (2, 'before')");
      await t.source.query("ALTER TABLE t ADD COLUMN extra VARCHAR(20) NOT NULL DEFAULT 'd' AFTER a");
      await t.source.query("INSERT INTO t VALUES (3, 'after', 'uses extra')");
      await t.source.query("UPDATE t SET extra = 'changed' WHERE id = 1");
      await waitTablesEqual(t, ['t']);
    } finally {
      await run.stop();
    }
    const [src] = await rows<Record<string, string>>(t.source, 'SHOW CREATE TABLE t');
    const [dst] = await rows<Record<string, string>>(t.target, 'SHOW CREATE TABLE t');
    expect(dst?.['Create Table']).toBe(src?.['Create Table']);
  });

  it('syncs a table without any key: duplicate rows, updates and deletes of one of them', async () => {
    await t.source.query("CREATE TABLE nokey (a INT, b VARCHAR(10), c DOUBLE); INSERT INTO nokey VALUES (1,'x',0.5),(1,'x',0.5),(2,NULL,NULL)");
    await copyTableDefs(t, ['nokey']);
    const run = startPair(t);
    try {
      await t.source.query("UPDATE nokey SET b = 'y' WHERE a = 1 LIMIT 1");
      await t.source.query('DELETE FROM nokey WHERE a = 2');
      await t.source.query("INSERT INTO nokey VALUES (3, NULL, 1e300), (3, NULL, 1e300)");
      await t.source.query('DELETE FROM nokey WHERE a = 3 LIMIT 1');
      await t.source.query("UPDATE nokey SET c = 2.25 WHERE b IS NULL");
      await waitTablesEqual(t, ['nokey']);
      expect(run.status.current().warnings.join()).toMatch(/nokey has no primary key/);
    } finally {
      await run.stop();
    }
  });

  it('keeps the copy of a table written by a source trigger equal to the source (trigger effects arrive once)', async () => {
    await t.source.query(`CREATE TABLE orders (id INT PRIMARY KEY, amount INT);
      CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, order_id INT, what VARCHAR(10));
      CREATE TRIGGER orders_ai AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit (order_id, what) VALUES (NEW.id, 'insert');
      CREATE TRIGGER orders_au AFTER UPDATE ON orders FOR EACH ROW INSERT INTO audit (order_id, what) VALUES (NEW.id, 'update');
      INSERT INTO orders VALUES (1, 10);`);
    await copyTableDefs(t, ['orders', 'audit']);
    // the target's trigger as the schema engine installs it: inert in db-sync's apply session
    await t.target.query(`CREATE TRIGGER orders_ai AFTER INSERT ON orders FOR EACH ROW
      BEGIN IF @db_sync_applying IS NULL THEN INSERT INTO audit (order_id, what) VALUES (NEW.id, 'insert'); END IF; END`);
    const run = startPair(t);
    try {
      await t.source.query('INSERT INTO orders VALUES (2, 20), (3, 30)');
      await t.source.query('UPDATE orders SET amount = amount + 1');
      await waitTablesEqual(t, ['orders', 'audit']);
    } finally {
      await run.stop();
    }
    const [{ c }] = await rows<{ c: number }>(t.target, 'SELECT COUNT(*) AS c FROM audit') as [{ c: number }];
    expect(Number(c)).toBe(6);
  });

  it('applies TRUNCATE seen in the stream', async () => {
    await t.source.query('CREATE TABLE tr (id INT PRIMARY KEY); INSERT INTO tr VALUES (1),(2),(3)');
    await copyTableDefs(t, ['tr']);
    await startPair(t, { once: true }).done;
    await t.source.query('TRUNCATE TABLE tr');
    await t.source.query('INSERT INTO tr VALUES (9)');
    await startPair(t, { once: true }).done;
    await expectTablesEqual(t, ['tr']);
  });

  it('stops with a clear error instead of clobbering when a secondary unique value is taken on the target', async () => {
    await t.source.query("CREATE TABLE u (id INT PRIMARY KEY, email VARCHAR(50) NOT NULL UNIQUE); INSERT INTO u VALUES (1, 'a@x')");
    await copyTableDefs(t, ['u']);
    await startPair(t, { once: true }).done;
    await t.target.query("INSERT INTO u VALUES (50, 'b@x')"); // diverged by hand
    await t.source.query("INSERT INTO u VALUES (2, 'b@x')");
    await expect(startPair(t, { once: true }).done).rejects.toMatchObject({ code: 'TARGET_UNIQUE_CONFLICT', message: expect.stringMatching(/u \(id=2\)/) });
    const left = await rows<{ id: number }>(t.target, 'SELECT id FROM u ORDER BY id');
    expect(left.map((r) => Number(r.id))).toEqual([1, 50]);
  });

  it('refuses to resume from a purged binlog and re-copies everything with resnapshot', async () => {
    await t.source.query('CREATE TABLE r (id INT PRIMARY KEY); INSERT INTO r VALUES (1)');
    await copyTableDefs(t, ['r']);
    await startPair(t, { once: true }).done;
    await t.target.query(`UPDATE _db_sync_checkpoint SET state = JSON_SET(state, '$.file', 'mysql-bin.000000') WHERE stream = 'binlog'`);
    await t.source.query('INSERT INTO r VALUES (2)');
    await expect(startPair(t, { once: true }).done).rejects.toMatchObject({ code: 'BINLOG_PURGED', hint: expect.stringMatching(/--resnapshot/) });
    const { ctx } = pairContextFor(t);
    await runDataStep(ctx, { once: true, resnapshot: true });
    await expectTablesEqual(t, ['r']);
  });

  it('advances the checkpoint of a pair whose every change is filtered out (heartbeat)', async () => {
    await t.source.query('CREATE TABLE kept (id INT PRIMARY KEY); CREATE TABLE skipped (id INT PRIMARY KEY)');
    await copyTableDefs(t, ['kept']);
    await startPair(t, { once: true, pair: { exclude: ['skipped'] } }).done;
    const before = await rows<{ state: string }>(t.target, "SELECT state FROM _db_sync_checkpoint WHERE stream = 'binlog'");
    for (let i = 0; i < 20; i++) await t.source.query('INSERT INTO skipped VALUES (?)', [i]);
    const [master] = await rows<{ File: string; Position: string }>(t.source, 'SHOW MASTER STATUS');
    await startPair(t, { once: true, pair: { exclude: ['skipped'] } }).done;
    const [after] = await rows<{ state: string }>(t.target, "SELECT state FROM _db_sync_checkpoint WHERE stream = 'binlog'");
    const pos = JSON.parse(String(after?.state)) as { file: string; pos: number };
    expect(pos).toMatchObject({ file: master?.File, pos: Number(master?.Position) });
    expect(after?.state).not.toBe(before[0]?.state);
    expect(await rows(t.target, 'SHOW TABLES LIKE "skipped"')).toEqual([]);
  });
});
