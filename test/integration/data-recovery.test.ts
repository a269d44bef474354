import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, rootConnection, type TestContext } from '../helpers/context.js';
import { tcpProxy } from '../helpers/tcp-proxy.js';
import { copyTableDefs, pairContextFor, rows, startPair, waitTablesEqual } from '../helpers/data-fixtures.js';
import { runBinlogSync } from '../../src/core/data/orchestrator.js';

describe('recovery from lost connections', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createContext('drecov');
    await t.source.query('CREATE TABLE r (id INT PRIMARY KEY, v INT)');
    await copyTableDefs(t, ['r']);
  });
  afterEach(async () => { await t.close(); });

  async function waitFor(cond: () => boolean, ms = 15_000): Promise<void> {
    await waitUntil(async () => cond(), ms);
  }
  async function waitUntil(cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await cond()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  it('reconnects the binlog stream after the source kills it and resumes from the checkpoint', async () => {
    const run = startPair(t);
    try {
      await t.source.query('INSERT INTO r VALUES (1, 1)');
      await waitTablesEqual(t, ['r']);
      // the row may have come with the snapshot: wait for the stream's connection
      const dumpsSql = "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'";
      let dumps: Array<{ id: number }> = [];
      await waitUntil(async () => (dumps = await rows<{ id: number }>(t.source, dumpsSql)).length > 0);
      expect(dumps.length).toBeGreaterThan(0);
      for (const d of dumps) await t.source.query(`KILL ${Number(d.id)}`);
      await t.source.query('INSERT INTO r VALUES (2, 2), (3, 3)');
      await t.source.query('UPDATE r SET v = v * 10');
      await waitTablesEqual(t, ['r']);
      await waitFor(() => run.status.current().lastError !== null);
      expect(run.status.current().lastError?.code).toBe('BINLOG_STREAM_LOST');
      await waitFor(() => run.status.current().state === 'streaming');
      expect(run.status.current().state).toBe('streaming');
    } finally {
      await run.stop();
    }
  });

  it('rolls back and reconnects when the target connection is lost, without losing or doubling rows', async () => {
    const run = startPair(t);
    try {
      await t.source.query('INSERT INTO r VALUES (1, 1)');
      await waitTablesEqual(t, ['r']);
      const [[me]] = (await t.target.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
      const conns = await rows<{ id: number }>(t.target, 'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> ?', [t.targetDb, me.id]);
      for (const c of conns) await t.target.query(`KILL ${Number(c.id)}`);
      for (let i = 2; i < 40; i++) await t.source.query('INSERT INTO r VALUES (?, ?)', [i, i]);
      await waitTablesEqual(t, ['r']);
    } finally {
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
