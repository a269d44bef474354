import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, rootConnection, type TestContext } from '../helpers/context.js';
import { tcpProxy } from '../helpers/tcp-proxy.js';
import { copyTableDefs, pairContextFor, rows, startPair, waitTablesEqual, waitUntil } from '../helpers/data-fixtures.js';
import { runBinlogSync } from '../../src/core/data/orchestrator.js';

describe('recovery from lost connections', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createContext('drecov');
    await t.source.query('CREATE TABLE r (id INT PRIMARY KEY, v INT)');
    await copyTableDefs(t, ['r']);
  });
  afterEach(async () => { await t.close(); });

  it('reconnects the binlog stream after the source kills it and resumes from the checkpoint', async () => {
    const run = startPair(t);
    try {
      await t.source.query('INSERT INTO r VALUES (1, 1)');
      await waitTablesEqual(t, ['r']);
      // the row may have come with the snapshot: wait for the stream's connection
      const dumpsSql = "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'";
      let dumps: Array<{ id: number }> = [];
      await waitUntil('the binlog dump connection', async () => (dumps = await rows<{ id: number }>(t.source, dumpsSql)).length > 0);
      expect(dumps.length).toBeGreaterThan(0);
      for (const d of dumps) await t.source.query(`KILL ${Number(d.id)}`);
      await t.source.query('INSERT INTO r VALUES (2, 2), (3, 3)');
      await t.source.query('UPDATE r SET v = v * 10');
      await waitTablesEqual(t, ['r']);
      await waitUntil('the error to be recorded', () => run.status.current().lastError !== null, 15_000, () => run.status.current());
      expect(run.status.current().lastError?.code).toBe('BINLOG_STREAM_LOST');
      await waitUntil('streaming again', () => run.status.current().state === 'streaming', 15_000, () => run.status.current());
      expect(run.status.current().state).toBe('streaming');
    } finally {
      await run.stop();
    }
  });

  it('rolls back a transaction whose target connection is killed in flight, records the error, retries and applies it once', async () => {
    const run = startPair(t);
    const blocker = await rootConnection(t.ports.target, t.targetDb);
    try {
      await t.source.query('INSERT INTO r VALUES (1, 1)');
      await waitTablesEqual(t, ['r']);
      // the row may have come with the snapshot: the transaction below must go through the stream
      await waitUntil('the pair to stream', () => run.status.current().state === 'streaming', 60_000, () => run.status.current());
      // Hold row 1 on the target: the applier's transaction writes 50 rows, then waits on it.
      await blocker.query('START TRANSACTION');
      await blocker.query('SELECT * FROM r WHERE id = 1 FOR UPDATE');
      await t.source.query(`START TRANSACTION; INSERT INTO r SELECT seq, seq FROM seq_100_to_149;
        UPDATE r SET v = 2 WHERE id = 1; COMMIT`);
      // The applier's session running its UPDATE of row 1 (PROCESSLIST: INNODB_TRX is a cache that a busy
      // shared server can truncate, so it is only asked for the row count of that session's transaction).
      const waiting = async () => rows<{ id: number; modified: number | null }>(t.target,
        `SELECT p.ID AS id, x.trx_rows_modified AS modified FROM information_schema.PROCESSLIST p
           LEFT JOIN information_schema.INNODB_TRX x ON x.trx_mysql_thread_id = p.ID
          WHERE p.COMMAND = 'Query' AND p.ID <> CONNECTION_ID() AND p.INFO LIKE 'UPDATE%' AND p.INFO LIKE ?`,
        [`%${t.targetDb}%`]);
      let inFlight: Array<{ id: number; modified: number | null }> = [];
      await waitUntil('the applier to wait on row 1', async () => (inFlight = await waiting()).length > 0, 60_000,
        () => run.status.current());
      // The kill hits the applier's open transaction, with its 50 inserts in it.
      expect(inFlight, 'one applier transaction waiting on row 1').toHaveLength(1);
      if (inFlight[0]!.modified !== null) expect(Number(inFlight[0]!.modified)).toBeGreaterThanOrEqual(50);
      const killed = Number(inFlight[0]!.id);
      await t.target.query(`KILL ${killed}`);
      await waitUntil('the error to be recorded', () => run.status.current().lastError !== null, 30_000, () => run.status.current());
      expect(run.status.current().lastError?.code).toBe('DB_CONNECTION_LOST');
      // The retry: a new apply session replays the transaction from the checkpoint and waits on row 1 again.
      await waitUntil('the retried transaction', async () => (inFlight = await waiting()).some((x) => Number(x.id) !== killed),
        60_000, () => run.status.current());
      // Nothing of the killed transaction was committed.
      const [[committed]] = (await t.target.query('SELECT COUNT(*) AS n, MAX(v) AS v1 FROM r WHERE id >= 100 OR id = 1')) as unknown as [[{ n: number; v1: number }]];
      expect([Number(committed.n), Number(committed.v1)]).toEqual([1, 1]);
      await blocker.query('ROLLBACK');
      await waitTablesEqual(t, ['r']);
      expect(run.status.current().state).toBe('streaming');
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
      await run.stop();
    }
  });

  it('notices a stalled binlog link (no events while the source moves on) and restarts the stream', async () => {
    const proxy = await tcpProxy(t.ports.source);
    const { ctx, abort } = pairContextFor(t);
    const source = { ...ctx.source, port: proxy.port };
    const running = runBinlogSync({
      pairName: 'p', source, target: ctx.target, inScope: () => true, once: false, resnapshot: false,
      replayDdl: false, syncObjects: false, schema: { initial: async () => undefined, objects: async () => undefined },
      maxRetries: 3, retryDelay: 200, status: ctx.status, logger: ctx.logger,
      signal: abort.signal, watchdogMs: 1500,
    });
    try {
      await t.source.query('INSERT INTO r VALUES (1, 1)');
      await waitTablesEqual(t, ['r']);
      // the row may have come with the snapshot: freeze only once the binlog dump connection exists
      await waitUntil('the stream to run', () => ctx.status.current().state === 'streaming', 30_000, () => ctx.status.current());
      await waitUntil('the binlog dump connection', async () => (await rows(t.source,
        "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")).length > 0);
      proxy.freeze();
      await t.source.query('INSERT INTO r VALUES (2, 2), (3, 3)');
      await waitTablesEqual(t, ['r'], 20_000);
      expect(ctx.status.current().lastError?.code).toBe('BINLOG_STREAM_STALLED');
    } finally {
      abort.abort();
      await running;
      await proxy.close();
    }
  });

  it('counts every byte of the binlog as progress: a long transfer of another database\'s transaction is no stall', async () => {
    const proxy = await tcpProxy(t.ports.source, 1 << 20);
    const { ctx, abort } = pairContextFor(t);
    const other = `${t.sourceDb}_other`;
    const running = runBinlogSync({
      pairName: 'p', source: { ...ctx.source, port: proxy.port }, target: ctx.target, inScope: () => true, once: false, resnapshot: false,
      replayDdl: false, syncObjects: false, schema: { initial: async () => undefined, objects: async () => undefined },
      maxRetries: 3, retryDelay: 200, status: ctx.status, logger: ctx.logger, signal: abort.signal, watchdogMs: 1500,
    });
    try {
      await t.source.query('INSERT INTO r VALUES (1, 1)');
      await waitTablesEqual(t, ['r']);
      // ~6 MB in another database: about 6 s through the 1 MB/s link, no event of ours in it
      await t.source.query(`CREATE DATABASE \`${other}\`; CREATE TABLE \`${other}\`.big (id INT PRIMARY KEY, b LONGBLOB);
        INSERT INTO \`${other}\`.big SELECT seq, RANDOM_BYTES(1024) FROM seq_1_to_6000`);
      await t.source.query('INSERT INTO r VALUES (2, 2)');
      await waitTablesEqual(t, ['r'], 60_000);
      expect(ctx.status.current().lastError).toBeNull();
    } finally {
      abort.abort();
      await running;
      await proxy.close();
      await t.source.query(`DROP DATABASE IF EXISTS \`${other}\``);
    }
  });

  it('keeps the backlog of received changes bounded in bytes while the target is blocked', async () => {
    process.env.DB_SYNC_MAX_BACKLOG_BYTES = String(4 << 20);
    const run = startPair(t);
    const blocker = await rootConnection(t.ports.target, t.targetDb);
    try {
      await t.source.query('INSERT INTO r VALUES (1, 1)');
      await waitTablesEqual(t, ['r']);
      await t.source.query('CREATE TABLE IF NOT EXISTS w (id INT PRIMARY KEY, b LONGBLOB)');
      await copyTableDefs(t, ['w']);
      await blocker.query('LOCK TABLES r WRITE, w WRITE');
      await t.source.query('INSERT INTO r VALUES (2, 2)'); // the applier now waits for the lock
      // row images hold Buffers, which live outside the V8 heap: count both
      const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
      const heapBefore = used();
      // 64 MB of changes while the target cannot take any
      for (let k = 0; k < 64; k++) await t.source.query(`INSERT INTO w SELECT seq + ${k * 16}, REPEAT(MD5(seq + ${k * 16}), 2048) FROM seq_1_to_16`);
      await new Promise((r) => setTimeout(r, 3000));
      const grown = used() - heapBefore;
      await blocker.query('UNLOCK TABLES');
      expect(grown, 'memory growth while 64 MB of changes waited').toBeLessThan(32 << 20);
      await waitTablesEqual(t, ['r', 'w'], 120_000);
      expect(run.status.current().lastError).toBeNull();
    } finally {
      delete process.env.DB_SYNC_MAX_BACKLOG_BYTES;
      await blocker.query('UNLOCK TABLES').catch(() => undefined);
      await blocker.end();
      await run.stop();
    }
  });
});
