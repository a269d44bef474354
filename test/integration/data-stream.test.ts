import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { copyTableDefs, expectTablesEqual, waitUntil, rows, startPair, waitTablesEqual } from '../helpers/data-fixtures.js';

const TABLES = ['accounts', 'orders', 'tags', 'log_nokey'];

async function createFixture(t: TestContext): Promise<void> {
  await t.source.query(`
    CREATE TABLE accounts (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, balance DECIMAL(20,4) NOT NULL, note TEXT);
    CREATE TABLE orders (acc INT NOT NULL, seq INT NOT NULL, amount DOUBLE, created DATETIME(6), PRIMARY KEY (acc, seq));
    CREATE TABLE tags (name VARCHAR(40) NOT NULL, code CHAR(3) NOT NULL, UNIQUE KEY (code), KEY (name)) ;
    CREATE TABLE log_nokey (msg VARCHAR(50), n INT);
  `);
  await copyTableDefs(t, TABLES);
  const values = Array.from({ length: 300 }, (_, i) => `(${i + 1}, 'u${i + 1}@x.org', ${i}.5, ${i % 7 === 0 ? 'NULL' : `'note ${i}'`})`).join(',');
  await t.source.query(`INSERT INTO accounts VALUES ${values}`);
  await t.source.query(`INSERT INTO orders SELECT id, 1, id * 1.25, '2024-01-01 00:00:00.000001' FROM accounts`);
  await t.source.query(`INSERT INTO tags VALUES ('a','AAA'),('b','BBB'),('c','CCC')`);
  await t.source.query(`INSERT INTO log_nokey VALUES ('x',1),('x',1),('y',NULL)`);
}

/** Mixed workload: multi-table transactions, rolled-back ones, unique-value moves, keyless dups. */
async function workload(t: TestContext, round: number): Promise<void> {
  const s = t.source;
  await s.query('START TRANSACTION');
  await s.query('INSERT INTO accounts VALUES (?, ?, 0, ?)', [1000 + round, `new${round}@x.org`, 'new']);
  await s.query('INSERT INTO orders VALUES (?, 2, 9.75, NOW(6))', [1000 + round]);
  await s.query('UPDATE accounts SET balance = balance + 1 WHERE id <= 50');
  await s.query('DELETE FROM orders WHERE acc = ? AND seq = 1', [round + 10]);
  await s.query("INSERT INTO log_nokey VALUES ('x', 1)");
  await s.query('COMMIT');
  await s.query('START TRANSACTION');
  await s.query('DELETE FROM accounts WHERE id BETWEEN 100 AND 200');
  await s.query("INSERT INTO tags VALUES ('zz', 'ZZZ')");
  await s.query('ROLLBACK');
  // a unique value moves from one row to another (REPLACE/upsert would clobber here)
  await s.query(`UPDATE tags SET code = 'TMP' WHERE name = 'a'; UPDATE tags SET code = 'AAA' WHERE name = 'b'; UPDATE tags SET code = 'BBB' WHERE name = 'a'`);
  await s.query(`UPDATE tags SET code = 'TM2' WHERE name = 'b'; UPDATE tags SET code = 'BBB' WHERE name = 'a' AND code <> 'BBB'; UPDATE tags SET code = 'AAA' WHERE name = 'b'`);
  await s.query("UPDATE log_nokey SET n = n + 1 WHERE msg = 'x' LIMIT 1");
  await s.query("DELETE FROM log_nokey WHERE msg = 'y' LIMIT 1");
  await s.query("INSERT INTO log_nokey VALUES ('y', NULL)");
  await s.query('UPDATE accounts SET id = id + 10000 WHERE id = ?', [round + 250]);
}

describe('data sync: snapshot then binlog stream', () => {
  let t: TestContext;
  beforeEach(async () => { t = await createContext('dstream'); await createFixture(t); });
  afterEach(async () => { await t.close(); });

  it('copies every table in a one-shot run and the target then equals the source', async () => {
    const run = startPair(t, { once: true, pair: { } });
    await run.done;
    await expectTablesEqual(t, TABLES);
    const [ck] = await rows<{ state: string }>(t.target, "SELECT state FROM _db_sync_checkpoint WHERE pair_name = 'p' AND stream = 'binlog'");
    expect(JSON.parse(String(ck?.state))).toMatchObject({ serverId: 1 });
    expect(run.status.current().warnings.join()).toMatch(/log_nokey has no primary key/);
  });

  it('streams a mixed multi-table workload with rolled-back transactions and ends equal', async () => {
    const run = startPair(t);
    try {
      // Streaming first, so the workload goes through the stream (not into a late snapshot).
      await waitUntil('the pair to stream', () => run.status.current().state === 'streaming', 60_000, () => run.status.current());
      for (let round = 0; round < 15; round++) await workload(t, round);
      await waitTablesEqual(t, TABLES);
      // The status is published just after the commit the tables show: wait for it, not race it.
      await waitUntil('the status to count the transactions', () => run.status.current().totals.transactions > 0,
        10_000, () => run.status.current());
      expect(run.status.current().state).toBe('streaming');
    } finally {
      await run.stop();
    }
    const [{ n }] = await rows<{ n: number }>(t.target, 'SELECT COUNT(*) AS n FROM accounts WHERE id BETWEEN 100 AND 200') as [{ n: number }];
    expect(Number(n)).toBe(101);
  });

  it('resumes from its checkpoint after a stop and applies only what changed since', async () => {
    await startPair(t, { once: true }).done;
    for (let round = 0; round < 3; round++) await workload(t, round);
    await startPair(t, { once: true }).done;
    await expectTablesEqual(t, TABLES);
    await workload(t, 7);
    await startPair(t, { once: true }).done;
    await expectTablesEqual(t, TABLES);
  });
});
