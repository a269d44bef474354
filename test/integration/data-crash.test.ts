import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, rootConnection, type TestContext } from '../helpers/context.js';
import { runToCrashPoint, seeded } from '../helpers/crash.js';
import { copyTableDefs, expectTablesEqual, rows } from '../helpers/data-fixtures.js';

// `journal` has no key: a transaction applied twice leaves a duplicate row there, which the
// comparison of sorted rows sees (no primary key error hides it).
const TABLES = ['items', 'ledger', 'journal'];

/**
 * A background writer: every transaction inserts a journal row, most also a ledger row and
 * change items; some roll back. Its own generator, so the kill schedule does not depend on it.
 */
function startWriter(t: TestContext, random: () => number): { stop(): Promise<number> } {
  let stopped = false;
  let count = 0;
  const done = (async () => {
    const c = await rootConnection(t.ports.source, t.sourceDb);
    try {
      while (!stopped) {
        const id = 1 + Math.floor(random() * 2_000);
        await c.query('START TRANSACTION');
        await c.query('INSERT INTO journal VALUES (?, ?)', [count, `tx ${count}`]);
        if (random() < 0.8) {
          await c.query('INSERT INTO ledger (note) VALUES (?)', [`tx ${count}`]);
          await c.query('UPDATE items SET val = val + 1, note = CONCAT(note, ?) WHERE id = ?', ['+', id]);
        }
        if (random() < 0.3) await c.query('DELETE FROM items WHERE id = ?', [id + 1]);
        if (random() < 0.3) await c.query('INSERT IGNORE INTO items VALUES (?, 0, ?)', [10_000 + count, 'new']);
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

/**
 * Source tables plus, on the target only, `ledger_writes`: a trigger appends the key of every
 * row written into ledger (snapshot chunk or stream). Deletes do not remove entries, so a
 * chunk copied twice (delete + insert nets to zero in ledger) shows as a key written twice.
 * Tables are copied in name order: items (small), journal, then ledger, where most of the
 * snapshot kills land.
 */
async function prepare(label: string, ledger: number): Promise<TestContext> {
  const t = await createContext(label);
  await t.source.query(`
    CREATE TABLE items (id INT PRIMARY KEY, val INT NOT NULL, note VARCHAR(2000) NOT NULL);
    CREATE TABLE ledger (seq INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40));
    CREATE TABLE journal (tx INT NOT NULL, note VARCHAR(40) NOT NULL);
    SET SESSION max_recursive_iterations = 100000;
    INSERT INTO ledger (note) WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${ledger})
      SELECT CONCAT('seed ', n) FROM s;
    INSERT INTO items SELECT seq, 0, REPEAT('x', 50) FROM ledger WHERE seq <= 2000;
    INSERT INTO journal SELECT -seq, 'seed' FROM ledger WHERE seq <= 500;`);
  await copyTableDefs(t, TABLES);
  await t.target.query(`
    CREATE TABLE ledger_writes (seq INT NOT NULL);
    CREATE TRIGGER ledger_ins AFTER INSERT ON ledger FOR EACH ROW INSERT INTO ledger_writes VALUES (NEW.seq);`);
  t.writeConfig({ pair: { schema: false, routines: false }, settings: { retryDelay: 200 } });
  return t;
}

/**
 * The seeded ledger rows (keys up to `seeded`) never change on the source: only a snapshot chunk
 * writes them, so each must be written exactly once however often the copy was killed. Rows the
 * writer inserts later may legitimately be written twice during a resume (the catch-up applies
 * them by key, then the copy from the new read replaces them); the table comparison covers them.
 */
async function finishAndCompare(t: TestContext, seeded: number): Promise<void> {
  const r = await t.cli(['sync', 'run', 'p', '--once'], { timeoutMs: 120_000, env: { DB_SYNC_SNAPSHOT_CHUNK_ROWS: '50' } });
  expect(r.code, r.stderr).toBe(0);
  await expectTablesEqual(t, TABLES);
  const writes = await rows<{ seq: number; n: number }>(t.target,
    'SELECT seq, COUNT(*) AS n FROM ledger_writes WHERE seq <= ? GROUP BY seq ORDER BY seq', [seeded]);
  expect(writes.filter((w) => Number(w.n) !== 1), 'seeded ledger rows written more than once').toEqual([]);
  expect(writes.length).toBe(seeded);
}

describe('crash safety', () => {
  const contexts: TestContext[] = [];
  afterAll(async () => { await Promise.all(contexts.map((t) => t.close())); });

  it('survives kill -9 at 10 seeded chunk commits of a snapshot under concurrent writes', async () => {
    const t = await prepare('dcrash_snap', 30_000);
    contexts.push(t);
    const seed = 20261125;
    const random = seeded(seed);
    const writer = startWriter(t, seeded(seed + 1));
    const schedule: string[] = [];
    const inLedger: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const name = random() < 0.5 ? 'snapshot.before-chunk-commit' : 'snapshot.after-chunk-commit';
        const point = `${name}:${1 + Math.floor(random() * 30)}`;
        schedule.push(point);
        const run = await runToCrashPoint(['sync', 'run', 'p'], { ...t.env, DB_SYNC_SNAPSHOT_CHUNK_ROWS: '50' }, point);
        // The process killed itself at the planned chunk: the snapshot was still running.
        expect(run.landed, `seed ${seed}, kills ${schedule.join(' ')}: exit ${run.code}: ${run.stderr.slice(-2000)}`)
          .toBe(point);
        expect(run.signal).toBe('SIGKILL');
        if (run.detail.startsWith('ledger:')) inLedger.push(point);
      }
    } finally {
      await writer.stop();
    }
    await finishAndCompare(t, 30_000);
    // Most kills interrupted the copy of ledger, whose double writes ledger_writes would show.
    expect(inLedger.length, `kills in ledger: ${inLedger.join(' ')} of ${schedule.join(' ')}`).toBeGreaterThanOrEqual(5);
  });

  it('survives kill -9 at 10 seeded commits while streaming and applies nothing twice', async () => {
    const t = await prepare('dcrash_stream', 3_000);
    contexts.push(t);
    const first = await t.cli(['sync', 'run', 'p', '--once']);
    expect(first.code, first.stderr).toBe(0);
    const seed = 42;
    const random = seeded(seed);
    const writer = startWriter(t, seeded(seed + 1));
    const schedule: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const name = random() < 0.7 ? 'stream.before-commit' : 'stream.after-commit';
        const point = `${name}:${1 + Math.floor(random() * 25)}`;
        schedule.push(point);
        const run = await runToCrashPoint(['sync', 'run', 'p'], t.env, point);
        const why = `seed ${seed}, kills ${schedule.join(' ')}: exit ${run.code}: ${run.stderr.slice(-2000)}`;
        expect(run.landed, why).toBe(point);
        // It landed inside a target transaction holding rows (before or just after its COMMIT).
        expect(Number(/^(\d+) rows in the transaction$/.exec(run.detail)?.[1] ?? 0), why).toBeGreaterThan(0);
      }
    } finally {
      const written = await writer.stop();
      expect(written).toBeGreaterThan(100);
    }
    await finishAndCompare(t, 3_000);
    // While streaming, every ledger row is written exactly once (the initial copy, or its INSERT).
    const twice = await rows(t.target, 'SELECT seq FROM ledger_writes GROUP BY seq HAVING COUNT(*) > 1');
    expect(twice).toEqual([]);
  });
});
