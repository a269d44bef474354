/**
 * A table altered on the source after the snapshot's read but before the copy reaches it must
 * not be copied with its new definition: a kill -9 right after such a chunk left a copy the
 * resumed catch-up took for one at the read, and the catch-up replayed the ALTER on it a
 * second time (DDL_REPLAY_FAILED, ER_DUP_FIELDNAME: found by the fuzzer, seeds 7005 and 7006).
 * The copy now defers such a table to a newer read before copying a row of it, and gives a
 * target table only the definition the source had at the read.
 *
 * One loader (snapshotParallel 1), tables copied in name order: a_first, b_next, c_altered.
 * A gap lock on the target holds the load of a_first's only chunk; meanwhile the loader has
 * read ahead into b_next (so c_altered is not touched by the read yet), and c_altered gets a
 * column on the source. Then the lock goes, and the process kills itself after the third chunk
 * commit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createContext, rootConnection, type TestContext } from '../helpers/context.js';
import { runToCrashPoint } from '../helpers/crash.js';
import { copyTableDefs, expectTablesEqual, rows } from '../helpers/data-fixtures.js';

const TABLES = ['a_first', 'b_next', 'c_altered'];

describe('a table altered after the snapshot read, then a kill -9', () => {
  const contexts: TestContext[] = [];
  afterAll(async () => { await Promise.all(contexts.map((t) => t.close())); });

  it('resumes without replaying the ALTER on a copy that already had it, and ends equal', async () => {
    const t = await createContext('snap_ddl_crash');
    contexts.push(t);
    await t.source.query(`
      CREATE TABLE a_first (id INT PRIMARY KEY, v INT);
      CREATE TABLE b_next (id INT PRIMARY KEY, v INT);
      CREATE TABLE c_altered (id INT PRIMARY KEY, v INT);
      INSERT INTO a_first VALUES (1, 1), (2, 2), (3, 3);
      INSERT INTO b_next VALUES (1, 1), (2, 2), (3, 3);
      INSERT INTO c_altered VALUES (1, 1), (2, 2), (3, 3);`);
    await copyTableDefs(t, TABLES);
    t.writeConfig({ pair: { schema: true, routines: false }, settings: { snapshotParallel: 1, retryDelay: 200 } });

    const lock = await rootConnection(t.ports.target, t.targetDb);
    try {
      await lock.query('BEGIN');
      await lock.query('SELECT * FROM a_first FOR UPDATE'); // gap locks: the chunk's INSERTs wait
      const run = runToCrashPoint(['sync', 'run', 'p'], t.env, 'snapshot.after-chunk-commit:3');
      // the chunk's LOAD DATA is running (and waits on the lock): the loader has read ahead into b_next
      const waiting = async () => (await rows<{ n: number }>(lock, `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
        WHERE INFO LIKE 'LOAD DATA%a_first%' AND TIME_MS > 200`))[0]?.n;
      for (const limit = Date.now() + 30_000; !Number(await waiting());) {
        if (Date.now() > limit) throw new Error('the copy of a_first never waited on the lock');
        await new Promise((r) => setTimeout(r, 50));
      }
      await t.source.query("ALTER TABLE c_altered ADD COLUMN c1 VARCHAR(20) DEFAULT 'x'");
      await t.source.query("INSERT INTO c_altered VALUES (4, 4, 'y')");
      await lock.query('COMMIT');
      const crashed = await run;
      expect(crashed.landed, crashed.stderr.slice(-2000)).toBe('snapshot.after-chunk-commit:3');
      expect(crashed.detail, crashed.stderr.slice(-2000)).toMatch(/^c_altered:/);
    } finally {
      await lock.end();
    }

    const r = await t.cli(['sync', 'run', 'p', '--once'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr.slice(-1500)).toBe(0);
    await expectTablesEqual(t, TABLES);
    const [src] = await rows<Record<string, string>>(t.source, 'SHOW CREATE TABLE c_altered');
    const [dst] = await rows<Record<string, string>>(t.target, 'SHOW CREATE TABLE c_altered');
    expect(dst?.['Create Table']).toBe(src?.['Create Table']);
  }, 180_000);
});
