import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, createContext, rootConnection, type TestContext } from '../helpers/context.js';
import { copyTableDefs, expectTablesEqual, rows } from '../helpers/data-fixtures.js';

/** mulberry32: seeded, so a failing kill schedule can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const TABLES = ['items', 'ledger'];

/** A background writer: every transaction inserts a ledger row and changes items. */
function startWriter(t: TestContext, random: () => number): { stop(): Promise<number> } {
  let stopped = false;
  let count = 0;
  const done = (async () => {
    const c = await rootConnection(t.ports.source, t.sourceDb);
    try {
      while (!stopped) {
        const id = 1 + Math.floor(random() * 20_000);
        await c.query('START TRANSACTION');
        await c.query('INSERT INTO ledger (note) VALUES (?)', [`tx ${count}`]);
        await c.query('UPDATE items SET val = val + 1, note = CONCAT(note, ?) WHERE id = ?', ['+', id]);
        if (random() < 0.3) await c.query('DELETE FROM items WHERE id = ?', [id + 1]);
        if (random() < 0.3) await c.query('INSERT IGNORE INTO items VALUES (?, 0, ?)', [20_000 + count, 'new']);
        await c.query(random() < 0.1 ? 'ROLLBACK' : 'COMMIT');
        count++;
        await new Promise((r) => setTimeout(r, 3));
      }
    } finally {
      await c.end();
    }
  })();
  return { stop: async () => { stopped = true; await done; return count; } };
}

/** Start `db-sync sync run p`, wait for `ready` (if given), SIGKILL it `ms` later. */
async function runAndKill(t: TestContext, ms: number, ready?: () => Promise<boolean>): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'sync', 'run', 'p'], {
    env: { ...t.env, DB_SYNC_SNAPSHOT_CHUNK_ROWS: '50' }, stdio: 'ignore',
  });
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 10_000;
  while (ready && Date.now() < deadline && !(await ready())) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  await exited;
}

/** The snapshot's progress: its shared row and the rows of its key ranges (null when no snapshot runs). */
async function snapshotState(t: TestContext): Promise<string | null> {
  const r = await rows<{ state: string }>(t.target, `SELECT state FROM _db_sync_checkpoint
    WHERE pair_name = 'p' AND (stream = 'snapshot' OR stream LIKE 'snapshot/%') ORDER BY stream`).catch(() => []);
  return r.length ? r.map((x) => x.state).join('\n') : null;
}

describe('crash safety', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createContext('dcrash');
    await t.source.query(`
      CREATE TABLE items (id INT PRIMARY KEY, val INT NOT NULL, note VARCHAR(2000) NOT NULL);
      CREATE TABLE ledger (seq INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40));
      SET SESSION max_recursive_iterations = 100000;
      INSERT INTO items WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 30000) SELECT n, 0, REPEAT('x', 50) FROM s;`);
    await copyTableDefs(t, TABLES);
    // Target-only witness: counts every row insert db-sync applies to ledger. A transaction
    // applied twice (or a chunk copied twice) makes it exceed the row count.
    await t.target.query(`
      CREATE TABLE apply_count (id INT PRIMARY KEY, n INT NOT NULL); INSERT INTO apply_count VALUES (1, 0);
      CREATE TRIGGER ledger_ins AFTER INSERT ON ledger FOR EACH ROW UPDATE apply_count SET n = n + 1;
      CREATE TRIGGER ledger_del AFTER DELETE ON ledger FOR EACH ROW UPDATE apply_count SET n = n - 1;`);
    await t.source.query("INSERT INTO ledger (note) SELECT CONCAT('seed ', id) FROM items WHERE id <= 3000");
    t.writeConfig({ pair: { schema: false, routines: false }, settings: { retryDelay: 200 } });
  });
  afterAll(async () => { await t.close(); });

  async function finishAndCompare(): Promise<void> {
    const r = await t.cli(['sync', 'run', 'p', '--once'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    await expectTablesEqual(t, TABLES);
    const [[{ n }], [{ c }]] = await Promise.all([
      rows<{ n: number }>(t.target, 'SELECT n FROM apply_count'), rows<{ c: number }>(t.target, 'SELECT COUNT(*) AS c FROM ledger'),
    ]) as [[{ n: number }], [{ c: number }]];
    expect(Number(n)).toBe(Number(c));
  }

  it('survives kill -9 at 10 seeded points during the snapshot under concurrent writes', async () => {
    const random = seeded(20261125);
    const writer = startWriter(t, random);
    let midSnapshot = 0;
    // Kill once a run has committed at least one chunk, at a random moment after; count the
    // kills that hit the snapshot (it has not finished) until there are 10.
    for (let i = 0; midSnapshot < 10 && i < 15; i++) {
      const before = await snapshotState(t);
      await runAndKill(t, Math.floor(random() * 120), async () => (await snapshotState(t)) !== before);
      if ((await snapshotState(t)) !== null) midSnapshot++;
    }
    await writer.stop();
    expect(midSnapshot).toBe(10);
    await finishAndCompare();
  });

  it('survives kill -9 at 10 seeded points while streaming and applies nothing twice', async () => {
    const random = seeded(42);
    const writer = startWriter(t, random);
    for (let i = 0; i < 10; i++) await runAndKill(t, 400 + Math.floor(random() * 1200));
    const written = await writer.stop();
    expect(written).toBeGreaterThan(100);
    await finishAndCompare();
  });
});
