/**
 * Two runners of one pair: the first one's apply session ends (the target drops a runner that
 * was silent past the lock's timeout: a frozen process, a paused VM) and a second runner takes
 * the lock at once. The first one's other sessions are still alive: its snapshot loaders and
 * its schema connection. Not one row its loaders load after the takeover may commit
 * (ChunkWriter's fence), the copy the next runner finishes equals the source, and its schema
 * step runs no statement once the lock is another's (checkFence).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinarySession } from '../../src/core/db/connection.js';
import { tryPairLock, isHolder, pairLockName } from '../../src/core/data/runner-lock.js';
import { syncSchema } from '../../src/core/pair/schema-step.js';
import { createContext, type TestContext } from '../helpers/context.js';
import { copyTableDefs, expectTablesEqual, pairContextFor, rows, startPair, waitUntil } from '../helpers/data-fixtures.js';

const ROWS = 6000;

describe('writes under the pair lock', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createContext('fence');
    await t.source.query(`
      CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL);
      INSERT INTO big SELECT seq, CONCAT('v', seq) FROM seq_1_to_${ROWS};`);
    await copyTableDefs(t, ['big']);
    // Target-only witness: when each loaded row was inserted, committed with its chunk or not at
    // all; the loads are slowed down (1 ms a row) so that loaders are mid-chunk at the takeover.
    await t.target.query(`
      CREATE TABLE witness (id INT PRIMARY KEY, conn BIGINT NOT NULL, at DATETIME(6) NOT NULL);
      CREATE TRIGGER big_ins BEFORE INSERT ON big FOR EACH ROW BEGIN
        DO SLEEP(0.001);
        REPLACE INTO witness VALUES (NEW.id, CONNECTION_ID(), NOW(6));
      END`);
  });
  afterAll(async () => { await t.close(); });
  /** A session of our own on the target database (a second runner's). */
  const targetSession = () => BinarySession.open({ host: '127.0.0.1', port: t.ports.target, user: 'root',
    password: '', database: t.targetDb } as never);

  it('commits no chunk loaded after another runner took the pair over', async () => {
    const before = process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS;
    process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS = '200';
    let running: ReturnType<typeof startPair> | null = null;
    const other = await targetSession();
    try {
      running = startPair(t);
      await waitUntil('a first chunk committed', async () =>
        Number((await rows<{ n: number }>(t.target, 'SELECT COUNT(*) AS n FROM big'))[0]?.n) >= 200);
      const [runner] = await rows<{ state: string }>(t.target,
        "SELECT state FROM _db_sync_checkpoint WHERE pair_name = 'p' AND stream = 'runner'");
      const holder = (JSON.parse(String(runner?.state)) as { connectionId: number }).connectionId;
      // the target ends the first runner's apply session; the second runner takes the lock at once
      await t.target.query(`KILL CONNECTION ${holder}`);
      let took = await tryPairLock(other, t.targetDb, 'p', 5);
      while (isHolder(took)) took = await tryPairLock(other, t.targetDb, 'p', 5);
      const [{ at: takeover }] = await other.rows<{ at: string }>('SELECT NOW(6) AS at') as [{ at: string }];
      // the first runner's loaders were mid-chunk: give them time to finish and commit if they could
      await expect(running.done).rejects.toMatchObject({ code: expect.stringMatching(/^PAIR_LOCK(ED|_LOST)$/) });
      await new Promise((r) => setTimeout(r, 1500));
      const late = await rows<{ n: number }>(t.target,
        'SELECT COUNT(*) AS n FROM witness WHERE at >= ?', [takeover]);
      expect(Number(late[0]?.n), 'rows loaded after the takeover and committed').toBe(0);
      const copied = Number((await rows<{ n: number }>(t.target, 'SELECT COUNT(*) AS n FROM big'))[0]?.n);
      expect(copied).toBeGreaterThanOrEqual(200);
      expect(copied).toBeLessThan(ROWS);
    } finally {
      await running?.stop().catch(() => undefined);
      await other.close();
      if (before === undefined) delete process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS;
      else process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS = before;
    }
    // the lock is free again: the next runner resumes the copy and ends equal to the source
    await t.target.query('DROP TRIGGER big_ins');
    const next = startPair(t, { once: true });
    await next.done;
    await expectTablesEqual(t, ['big']);
  }, 120_000);

  it('runs no schema statement once the lock is held by another session than the fence names', async () => {
    await t.source.query('CREATE VIEW v_fence AS SELECT id FROM big WHERE id < 10');
    const views = async () => (await rows<{ n: string }>(t.target,
      'SELECT TABLE_NAME AS n FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()')).map((r) => r.n);
    const holder = await targetSession();
    try {
      const got = await tryPairLock(holder, t.targetDb, 'p', 5);
      if (isHolder(got)) throw new Error('the pair lock is taken');
      const fence = { lock: pairLockName(t.targetDb, 'p'), holder: got.connectionId };
      const { ctx } = pairContextFor(t, { schema: true, routines: true });
      await expect(syncSchema(ctx, { objectsOnly: true, fence: { ...fence, holder: got.connectionId + 1 } }))
        .rejects.toMatchObject({ code: 'PAIR_LOCK_LOST' });
      expect(await views()).toEqual([]);
      await syncSchema(ctx, { objectsOnly: true, fence });
      expect(await views()).toEqual(['v_fence']);
    } finally {
      await holder.close();
    }
  });
});
