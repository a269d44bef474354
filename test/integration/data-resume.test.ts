/**
 * "A restart continues from the last committed chunk" (docs/data.md): a snapshot killed at a
 * chunk commit and run again writes only the rows it had not committed. A target-only trigger
 * logs every row written into the table (deletes do not remove entries), so a resume that
 * starts over, or re-copies a committed chunk, shows as rows written twice.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { runToCrashPoint } from '../helpers/crash.js';
import { copyTableDefs, expectTablesEqual, rows } from '../helpers/data-fixtures.js';

const ROWS = 5000;
const CHUNK = 100;

describe('snapshot resume', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createContext('dresume');
    await t.source.query(`CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL);
      INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_${ROWS};`);
    await copyTableDefs(t, ['t']);
    await t.target.query(`CREATE TABLE t_writes (id INT NOT NULL);
      CREATE TRIGGER t_ins AFTER INSERT ON t FOR EACH ROW INSERT INTO t_writes VALUES (NEW.id);`);
    t.writeConfig({ pair: { schema: false, routines: false } });
  });
  afterEach(async () => { await t.close(); });

  const env = () => ({ ...t.env, DB_SYNC_SNAPSHOT_CHUNK_ROWS: String(CHUNK) });
  const written = async () => Number((await rows<{ n: number }>(t.target, 'SELECT COUNT(*) AS n FROM t_writes'))[0]?.n);

  it.each([
    ['after the 20th chunk committed', 'snapshot.after-chunk-commit:20', 20 * CHUNK],
    ['before the 20th chunk committed', 'snapshot.before-chunk-commit:20', 19 * CHUNK],
  ])('copies only the remainder after a kill %s', async (_when, point, committed) => {
    const run = await runToCrashPoint(['sync', 'run', 'p', '--once'], env(), point);
    expect(run.landed, run.stderr).toBe(point);
    expect(run.detail).toBe(`t: ${CHUNK} rows`);
    // at least these chunks committed; with parallel loaders another loader's COMMIT may have
    // landed before the killed process reached its crash point
    const before = await written();
    expect(before).toBeGreaterThanOrEqual(committed);
    expect(before % CHUNK).toBe(0);

    const again = await t.cli(['sync', 'run', 'p', '--once'], { env: env() });
    expect(again.code, again.stderr).toBe(0);
    await expectTablesEqual(t, ['t']);
    // The resumed run wrote exactly the rows the first one had not committed.
    expect(await written() - before).toBe(ROWS - before);
    expect(await rows(t.target, 'SELECT id FROM t_writes GROUP BY id HAVING COUNT(*) > 1')).toEqual([]);
  });
});
