import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { copyTableDefs, rows } from '../helpers/data-fixtures.js';

const TABLES = ['big', 'pairs'];
const BIG_ROWS = 40_000;
const PAIR_ROWS = 12_000;

interface Range { table: string; index: number; rows: number; done: boolean; lastKey: unknown[] | null }

async function rangeRows(t: TestContext): Promise<Range[]> {
  const r = await rows<{ state: string }>(t.target,
    "SELECT state FROM _db_sync_checkpoint WHERE pair_name = 'p' AND stream LIKE 'snapshot/%'");
  return r.map((x) => JSON.parse(x.state) as Range);
}

async function checksum(c: TestContext['source'], table: string): Promise<string> {
  const [r] = await rows<{ Checksum: string | number }>(c, `CHECKSUM TABLE \`${table}\``);
  return String(r?.Checksum);
}

/** Rows inserted into the target's tables by committed transactions, per loader connection. */
async function inserted(t: TestContext): Promise<{ total: number; connections: number }> {
  const r = await rows<{ total: string | number | null; connections: number }>(t.target,
    'SELECT SUM(n) AS total, COUNT(*) AS connections FROM load_count');
  return { total: Number(r[0]?.total ?? 0), connections: Number(r[0]?.connections ?? 0) };
}

describe('parallel snapshot', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createContext('psnap');
    await t.source.query(`
      CREATE TABLE big (id INT PRIMARY KEY, u INT NOT NULL UNIQUE, s VARCHAR(100) NOT NULL);
      CREATE TABLE pairs (a INT NOT NULL, b VARCHAR(20) CHARACTER SET utf8mb4 NOT NULL, v INT, PRIMARY KEY (a, b));
      SET SESSION max_recursive_iterations = 100000;
      INSERT INTO big WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${BIG_ROWS})
        SELECT i * 3, ${BIG_ROWS} - i, CONCAT('row ', i, ' ', MD5(i)) FROM n;
      INSERT INTO pairs WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${PAIR_ROWS})
        SELECT i DIV 7, CONCAT('k', i % 7, 'é'), i FROM n;
      ANALYZE TABLE big, pairs;`);
    await copyTableDefs(t, TABLES);
    // Target-only witness: every row a committed transaction inserted, counted per connection
    // (one counter row per loader, so loaders do not queue on one row).
    await t.target.query(`
      CREATE TABLE load_count (conn BIGINT PRIMARY KEY, n INT NOT NULL);
      CREATE TRIGGER big_ins AFTER INSERT ON big FOR EACH ROW
        INSERT INTO load_count VALUES (CONNECTION_ID(), 1) ON DUPLICATE KEY UPDATE n = n + 1;
      CREATE TRIGGER pairs_ins AFTER INSERT ON pairs FOR EACH ROW
        INSERT INTO load_count VALUES (CONNECTION_ID(), 1) ON DUPLICATE KEY UPDATE n = n + 1;
      CREATE TRIGGER big_slow BEFORE INSERT ON big FOR EACH ROW IF NEW.id <= 3000 THEN DO SLEEP(0.005); END IF;`);
    t.writeConfig({ pair: { schema: false, routines: false }, settings: { snapshotParallel: 3 } });
  });
  afterAll(async () => { await t.close(); });

  it('loads ranges of a big table over several connections; after kill -9 it copies only the remainder', async () => {
    // The first chunks of the first range load slowly on the target (big_slow, 2.5 s each): its
    // loader is mid-chunk, its progress ahead of what committed, while the others commit theirs.
    const env = { ...t.env, DB_SYNC_SNAPSHOT_CHUNK_ROWS: '500' };
    for (const [i, at] of [4, 5, 7].entries()) {
      const crash = { DB_SYNC_CRASH_POINT: `snapshot.after-chunk-commit:${at}` };
      const killed = await t.cli(['sync', 'run', 'p', '--once'], { env: { ...env, ...crash } });
      expect(killed.code, killed.stderr).not.toBe(0);
      const ranges = await rangeRows(t);
      const now = await inserted(t);
      // What the range rows say was copied is exactly what committed transactions inserted.
      expect(ranges.reduce((n, r) => n + r.rows, 0), `after kill ${i + 1}`).toBe(now.total);
      if (i > 0) continue;
      expect(ranges.filter((r) => r.table === 'big').length).toBeGreaterThan(2);
      expect(ranges.every((r) => r.done)).toBe(false);
      expect(now.connections).toBeGreaterThan(1);
      expect(now.total).toBeGreaterThan(0);
      expect(now.total).toBeLessThan(BIG_ROWS + PAIR_ROWS);
    }

    await t.target.query('DROP TRIGGER big_slow');
    const resumed = await t.cli(['sync', 'run', 'p', '--once'], { env, timeoutMs: 120_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const table of TABLES) expect(await checksum(t.target, table), table).toBe(await checksum(t.source, table));
    // Only the remainder was copied: every source row was inserted by exactly one committed transaction.
    expect((await inserted(t)).total).toBe(BIG_ROWS + PAIR_ROWS);
    expect(await rangeRows(t)).toEqual([]);
  });
});
