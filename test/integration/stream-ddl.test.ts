/**
 * DDL in the change stream is replayed as the source ran it, at its place, with the
 * database name rewritten (the target database has another name in every test): online
 * schema change cut-overs, tables that live only between two runs, CREATE ... SELECT,
 * partitions, and a kill -9 right after a DDL statement. Equality is checked on the
 * server's own renderings: SHOW CREATE TABLE and every column's bytes.
 */
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, createContext, type TestContext } from '../helpers/context.js';
import { copyTableDefs, pairContextFor, rows, startPair, waitTablesEqual, waitUntil, expectTablesEqual } from '../helpers/data-fixtures.js';
import { runBinlogSync } from '../../src/core/data/orchestrator.js';

async function tables(c: TestContext['source']): Promise<string[]> {
  return (await rows<Record<string, string>>(c, 'SHOW FULL TABLES')).filter((r) => Object.values(r)[1] === 'BASE TABLE')
    .map((r) => String(Object.values(r)[0])).filter((n) => !n.startsWith('_db_sync_')).sort();
}

/** Same tables, same definitions (AUTO_INCREMENT counters aside), same rows. */
async function expectSchemaAndRowsEqual(t: TestContext): Promise<void> {
  const names = await tables(t.source);
  expect(await tables(t.target)).toEqual(names);
  for (const n of names) {
    const [s] = await rows<Record<string, string>>(t.source, `SHOW CREATE TABLE \`${n}\``);
    const [d] = await rows<Record<string, string>>(t.target, `SHOW CREATE TABLE \`${n}\``);
    const norm = (x?: string) => String(x).replace(/ AUTO_INCREMENT=\d+/, '');
    expect(norm(d?.['Create Table']), `definition of ${n}`).toBe(norm(s?.['Create Table']));
  }
  await expectTablesEqual(t, names);
}

describe('DDL replayed from the stream', () => {
  let t: TestContext;
  beforeEach(async () => { t = await createContext('sddl'); });
  afterEach(async () => { await t.close(); });

  const schema = { pair: { schema: true, routines: true } };

  it('copies tables altered, created, renamed and dropped while the snapshot runs (fuzzer seed 1)', async () => {
    await t.source.query(`CREATE TABLE a_big (id INT PRIMARY KEY, v INT);
      INSERT INTO a_big SELECT seq, seq FROM seq_1_to_20000;
      CREATE TABLE b_alter (id INT PRIMARY KEY, v INT); INSERT INTO b_alter VALUES (1, 1), (2, 2);
      CREATE TABLE c_rebuild (id INT PRIMARY KEY, v INT); INSERT INTO c_rebuild VALUES (1, 1);
      CREATE TABLE d_drop (id INT PRIMARY KEY); INSERT INTO d_drop VALUES (1);
      CREATE TABLE e_rename (id INT PRIMARY KEY); INSERT INTO e_rename VALUES (1)`);
    const before = process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS;
    process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS = '50'; // a_big takes a few seconds: the DDL lands while it is copied
    const run = startPair(t, schema);
    try {
      const deadline = Date.now() + 20_000;
      const copying = () => run.status.current().snapshot?.table === 'a_big';
      while (!copying() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(run.status.current().snapshot?.table).toBe('a_big');
      await t.source.query(`ALTER TABLE b_alter ADD COLUMN x INT DEFAULT 5; UPDATE b_alter SET x = 7 WHERE id = 1;
        ALTER TABLE c_rebuild ADD COLUMN y INT DEFAULT 1 FIRST, FORCE; UPDATE c_rebuild SET v = 2;
        CREATE TABLE f_new (id INT PRIMARY KEY); INSERT INTO f_new VALUES (1), (2);
        UPDATE d_drop SET id = 2; DROP TABLE d_drop;
        INSERT INTO e_rename VALUES (2); RENAME TABLE e_rename TO e_renamed; INSERT INTO e_renamed VALUES (3)`);
      // 400 chunks of 50 rows: minutes on a loaded 2-core machine
      await waitTablesEqual(t, ['a_big', 'b_alter', 'c_rebuild', 'f_new', 'e_renamed'], 180_000);
      expect(run.status.current().lastError).toBeNull();
    } finally {
      await run.stop();
      if (before === undefined) delete process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS;
      else process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS = before;
    }
    await expectSchemaAndRowsEqual(t);
  }, 300_000);

  it('drops a table the schema step created when the source renamed it before the snapshot read (fuzzer seed 5)', async () => {
    await t.source.query(`CREATE TABLE dd2 (id INT PRIMARY KEY, v INT); INSERT INTO dd2 VALUES (1, 1), (2, 2);
      CREATE TABLE keep (id INT PRIMARY KEY); INSERT INTO keep VALUES (1)`);
    const { ctx, abort } = pairContextFor(t, { schema: true });
    // the new pair's schema step gives the target dd2; the source renames it before the snapshot's read
    const initial = async () => {
      await copyTableDefs(t, ['dd2', 'keep']);
      await t.source.query('RENAME TABLE dd2 TO dd2r');
    };
    const running = runBinlogSync({
      pairName: 'p', source: ctx.source, target: ctx.target, inScope: () => true, once: false, resnapshot: false,
      replayDdl: true, syncObjects: false, schema: { initial, objects: async () => undefined },
      maxRetries: 0, retryDelay: 200, status: ctx.status, logger: ctx.logger, signal: abort.signal,
    });
    try {
      await waitUntil('the pair to stream', () => ctx.status.current().state === 'streaming', 60_000, () => ctx.status.current());
      // renamed back in the stream: the stale dd2 would make this fail with ER_TABLE_EXISTS on the target
      await t.source.query('ALTER TABLE dd2r RENAME TO dd2; INSERT INTO dd2 VALUES (3, 3)');
      await waitTablesEqual(t, ['dd2', 'keep']);
      expect(ctx.status.current().lastError).toBeNull();
      await expectSchemaAndRowsEqual(t);
    } finally {
      abort.abort();
      await running.catch(() => undefined);
    }
  });

  it('follows a pt-online-schema-change cut-over: RENAME TABLE orders TO orders_old, orders_new TO orders', async () => {
    await t.source.query("CREATE TABLE orders (id INT PRIMARY KEY, amount INT); INSERT INTO orders VALUES (1, 10), (2, 20)");
    const run = startPair(t, schema);
    try {
      await waitTablesEqual(t, ['orders']);
      await t.source.query(`CREATE TABLE orders_new (id INT PRIMARY KEY, amount INT, note VARCHAR(20) DEFAULT 'n');
        INSERT INTO orders_new (id, amount) SELECT id, amount FROM orders;
        INSERT INTO orders VALUES (3, 30); INSERT INTO orders_new (id, amount) VALUES (3, 30);
        RENAME TABLE orders TO orders_old, orders_new TO orders;
        DROP TABLE orders_old;
        INSERT INTO orders VALUES (4, 40, 'after');
        UPDATE orders SET amount = amount + 1`);
      await waitTablesEqual(t, ['orders']);
      expect(run.status.current().lastError).toBeNull();
    } finally {
      await run.stop();
    }
    await expectSchemaAndRowsEqual(t);
  });

  it('follows a gh-ost cut-over with its ghost and changelog tables, and ALTER TABLE ... RENAME', async () => {
    await t.source.query("CREATE TABLE items (id INT PRIMARY KEY, v INT); INSERT INTO items VALUES (1, 1), (2, 2)");
    await startPair(t, { once: true, ...schema }).done;
    await t.source.query(`CREATE TABLE _items_ghc (id BIGINT AUTO_INCREMENT PRIMARY KEY, hint VARCHAR(64), value VARCHAR(255));
      CREATE TABLE _items_gho LIKE items; ALTER TABLE _items_gho ADD COLUMN w INT NOT NULL DEFAULT 7;
      INSERT INTO _items_ghc (hint, value) VALUES ('state', 'migrating');
      INSERT INTO _items_gho (id, v) SELECT id, v FROM items;
      INSERT INTO items VALUES (3, 3); REPLACE INTO _items_gho (id, v) VALUES (3, 3);
      RENAME TABLE items TO _items_del, _items_gho TO items;
      DROP TABLE _items_del; DROP TABLE _items_ghc;
      ALTER TABLE items RENAME TO items2, ADD COLUMN z INT;
      INSERT INTO items2 VALUES (4, 4, 4, 4)`);
    await startPair(t, { once: true, ...schema }).done;
    await expectSchemaAndRowsEqual(t);
  });

  it('replays a staging table created, filled and dropped while the pair was stopped', async () => {
    await t.source.query('CREATE TABLE facts (id INT PRIMARY KEY, n INT)');
    await startPair(t, { once: true, ...schema }).done;
    await t.source.query(`CREATE TABLE stage (id INT PRIMARY KEY, n INT);
      INSERT INTO stage VALUES (1, 1), (2, 4), (3, 9);
      INSERT INTO facts SELECT * FROM stage;
      DROP TABLE stage;
      CREATE TABLE stage (id INT PRIMARY KEY, n INT);
      INSERT INTO stage VALUES (4, 16);
      INSERT INTO facts SELECT * FROM stage;
      DROP TABLE stage`);
    await startPair(t, { once: true, ...schema }).done;
    await expectSchemaAndRowsEqual(t);
    expect(await rows(t.target, 'SELECT CAST(COUNT(*) AS CHAR) AS n FROM facts')).toEqual([{ n: '4' }]);
  });

  it('replays CREATE ... SELECT, CREATE ... LIKE, CREATE OR REPLACE, DROP + CREATE of the same shape and qualified names', async () => {
    await t.source.query("CREATE TABLE s (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO s VALUES (1, 'a'), (2, 'b')");
    await startPair(t, { once: true, ...schema }).done;
    await t.source.query(`CREATE TABLE sel ENGINE=InnoDB SELECT id, CONCAT(v, '!') AS v FROM s;
      CREATE TABLE lk LIKE s; INSERT INTO lk SELECT * FROM s WHERE id = 2;
      CREATE OR REPLACE TABLE lk (id INT PRIMARY KEY, other DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3));
      INSERT INTO lk (id) VALUES (7);
      DROP TABLE sel; CREATE TABLE sel (id INT, v VARCHAR(11)); INSERT INTO sel VALUES (9, 'again')`);
    await t.source.query(`USE mysql; ALTER TABLE \`${t.sourceDb}\`.s ADD COLUMN q INT DEFAULT 5;
      INSERT INTO \`${t.sourceDb}\`.s VALUES (3, 'c', 6); USE \`${t.sourceDb}\``);
    await startPair(t, { once: true, ...schema }).done;
    await expectSchemaAndRowsEqual(t);
  });

  it('replays partition maintenance: ADD, TRUNCATE, DROP and EXCHANGE PARTITION', async () => {
    await t.source.query(`CREATE TABLE pt (id INT PRIMARY KEY, v INT) PARTITION BY RANGE (id)
        (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN (20));
      INSERT INTO pt VALUES (1, 1), (2, 2), (11, 11), (12, 12);
      CREATE TABLE swap (id INT PRIMARY KEY, v INT); INSERT INTO swap VALUES (15, 150)`);
    await startPair(t, { once: true, ...schema }).done;
    await t.source.query(`ALTER TABLE pt ADD PARTITION (PARTITION p2 VALUES LESS THAN (30));
      INSERT INTO pt VALUES (21, 21);
      ALTER TABLE pt TRUNCATE PARTITION p0;
      ALTER TABLE pt EXCHANGE PARTITION p1 WITH TABLE swap;
      ALTER TABLE pt DROP PARTITION p2;
      INSERT INTO pt VALUES (3, 3)`);
    await startPair(t, { once: true, ...schema }).done;
    await expectSchemaAndRowsEqual(t);
  });

  it('does not run a DDL statement twice after a kill -9 right after it, and ends equal', async () => {
    await t.source.query('CREATE TABLE k (id INT PRIMARY KEY)');
    t.writeConfig({ pair: { schema: true, routines: true } });
    expect((await t.cli(['sync', 'run', 'p', '--once'])).code).toBe(0);
    await t.source.query('ALTER TABLE k ADD COLUMN c INT NOT NULL DEFAULT 3; INSERT INTO k VALUES (1, 4); RENAME TABLE k TO k2; INSERT INTO k2 VALUES (2, 5)');
    for (const point of ['stream.after-ddl:1', 'stream.after-ddl:1', 'stream.after-commit:1']) {
      const child = spawn(process.execPath, [CLI, 'sync', 'run', 'p', '--once'], { env: { ...t.env, DB_SYNC_CRASH_POINT: point }, stdio: 'ignore' });
      const [, signal] = await new Promise<[number | null, string | null]>((r) => child.once('exit', (c, s) => r([c, s])));
      expect(signal, `killed at ${point}`).toBe('SIGKILL');
    }
    const last = await t.cli(['sync', 'run', 'p', '--once']);
    expect(last.code, last.stderr).toBe(0);
    await expectSchemaAndRowsEqual(t);
  });
});
