/**
 * Protecting the source, on two throwaway servers of this file's own (the load and the binlog
 * retention it sets are server-wide): a snapshot pauses between chunks while a load generator
 * holds Threads_running over the limit, says why in status / status --json / metrics, reports
 * the history list its read view holds back, and resumes on its own; verify waits the same
 * way; connection test and status warn about binlog retention before a checkpoint is purged.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { runCli } from '../helpers/context.js';
import { shopSchemaSql } from '../helpers/data-fixtures.js';
import { freePort, startServer, type TestServer } from '../helpers/mariadb-server.js';
import { readStatus, startService, waitForPair, writeServiceConfig, type RunningService } from './service-helpers.js';

const LIMIT = 8;
const LOAD = 12;
const ROWS = 100_000;

let source: TestServer;
let target: TestServer;
let home: string;
let service: RunningService | undefined;
let metricsPort: number;
const db: Record<string, mysql.Connection> = {};

const cli = (args: string[]) => runCli(args, { ...process.env, DB_SYNC_HOME: home, NO_COLOR: '1' },
  { timeoutMs: 120_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const all = async <T = Record<string, unknown>>(c: mysql.Connection, sql: string, params: unknown[] = []) =>
  ((await c.query(sql, params)) as unknown as [T[]])[0];
const one = async (c: mysql.Connection, sql: string) => (await all(c, sql))[0]!;
const threadsRunning = async () => Number((await one(db.src!, "SHOW GLOBAL STATUS LIKE 'Threads_running'")).Value);

/** Server-side checksum of a table: row count and XOR of per-row CRC32s, computed by each server. */
async function checksum(c: mysql.Connection, table: string, cols: string): Promise<string> {
  const r = await one(c, `SELECT COUNT(*) AS n, BIT_XOR(CRC32(CONCAT_WS('|', ${cols}))) AS x FROM shop.${table}`);
  return `${r.n}/${r.x}`;
}

async function expectEqual(): Promise<void> {
  for (const [t, cols] of [['items', 'id, v, n'], ['hot', 'id, c']] as const) {
    expect(await checksum(db.dst!, t, cols), t).toBe(await checksum(db.src!, t, cols));
  }
}

/** LOAD connections each running SELECT SLEEP(s): they count in Threads_running while they sleep. */
async function startLoad(seconds: number): Promise<() => Promise<void>> {
  const conns = await Promise.all(Array.from({ length: LOAD }, () => source.connect()));
  const sleeping = conns.map((c) => c.query(`SELECT SLEEP(${seconds})`).catch(() => undefined));
  const deadline = Date.now() + 10_000;
  while ((await threadsRunning()) <= LOAD && Date.now() < deadline) await sleep(50);
  return async () => {
    for (const c of conns) await db.src!.query(`KILL QUERY ${c.threadId}`).catch(() => undefined);
    await Promise.all(sleeping);
    await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

beforeAll(async () => {
  [source, target] = await Promise.all([
    startServer({ binlog: true, serverId: 41, label: 'guard-src' }),
    startServer({ binlog: false, serverId: 42, label: 'guard-dst' }),
  ]);
  source.sql('CREATE DATABASE shop;');
  source.sql(`${shopSchemaSql(ROWS)}
    ANALYZE TABLE shop.items;`, 'shop');
  target.sql('CREATE DATABASE shop;');
  db.src = await source.connect('shop') as unknown as mysql.Connection;
  db.dst = await target.connect('shop') as unknown as mysql.Connection;
  home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-guard-'));
  metricsPort = await freePort();
  const pair = { name: 'shop', source: { port: source.port, database: 'shop' },
    target: { port: target.port, database: 'shop' } };
  writeServiceConfig(home, [pair],
    { throttleThreadsRunning: LIMIT, historyListWarn: 50, metricsPort });
});

afterAll(async () => {
  await service?.terminate();
  await Promise.all(Object.values(db).map((c) => c.end().catch(() => undefined)));
  await Promise.all([source?.stop(), target?.stop()]);
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('throttling reads while the source is loaded', () => {
  it('pauses the snapshot between chunks, says why, reports the history list, then resumes on its own', async () => {
    const stopLoad = await startLoad(300);
    service = startService(home, [], { DB_SYNC_SNAPSHOT_CHUNK_ROWS: '1000', DB_SYNC_HISTORY_INTERVAL_MS: '300' });
    const first = await waitForPair(home, 'shop', 'throttled in its snapshot',
      (p) => p.state === 'snapshot' && !!p.throttled);
    expect(first.throttled!.reason).toMatch(/^Threads_running \d+ > 8$/);
    expect(Number(/Threads_running (\d+)/.exec(first.throttled!.reason)![1])).toBeGreaterThan(LOAD);

    // paused: no chunk is read while the load lasts
    const copied = first.snapshot?.rowsDone ?? 0;
    const targetRows = async () => Number((await one(db.dst!, 'SELECT COUNT(*) AS n FROM shop.items')
      .catch(() => ({ n: 0 }))).n);
    const before = await targetRows();
    await sleep(3000);
    const during = readStatus(home)!.pairs[0]!;
    expect(during.throttled).not.toBeNull();
    expect(during.snapshot?.rowsDone ?? 0).toBe(copied);
    expect(await targetRows()).toBe(before);
    expect(before).toBeLessThan(ROWS);

    // the read view is open: updates elsewhere pile up in the history list, and status says so
    for (let i = 0; i < 200; i++) await db.src!.query('UPDATE shop.hot SET c = c + 1 WHERE id = ?', [1 + (i % 10)]);
    const held = await waitForPair(home, 'shop', 'reporting the history list length',
      (p) => (p.historyListLength ?? 0) > 50);
    const warning = /^source history list length \d+ > 50 while the snapshot holds its read view/;
    expect(held.warnings.some((w) => warning.test(w))).toBe(true);

    const text = (await cli(['status'])).stdout;
    expect(text).toMatch(/throttled \(Threads_running \d+ > 8\)/);
    type J = { pairs: Array<{ throttled: { reason: string } | null }> };
    const json = JSON.parse((await cli(['status', '--json'])).stdout) as J;
    expect(json.pairs[0]!.throttled!.reason).toMatch(/^Threads_running \d+ > 8$/);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('db_sync_pair_throttled{pair="shop"} 1');
    expect(metrics).toMatch(/db_sync_pair_source_history_list_length\{pair="shop"\} \d+/);

    await stopLoad();
    const done = await waitForPair(home, 'shop', 'streaming after the load stopped',
      (p) => p.state === 'streaming', 90_000);
    expect(done.throttled).toBeNull();
    expect(done.throttledSecTotal).toBeGreaterThanOrEqual(3);
    expect(done.historyListLength).toBeNull();
    expect(done.warnings.some((w) => w.startsWith('source history list length'))).toBe(false);
    await until('target equal to source', async () => {
      try { await expectEqual(); return true; } catch { return false; }
    });
    await expectEqual();
  });

  it('makes verify wait while the source is loaded, and finish after', async () => {
    const stopLoad = await startLoad(4);
    const started = Date.now();
    const r = await cli(['verify', 'shop', '--no-schema']);
    const elapsed = Date.now() - started;
    await stopLoad();
    expect(r.stderr).toMatch(/throttled \(Threads_running \d+ > 8\): source reads wait/);
    expect(r.stderr).toMatch(/resumed after \d+\.\d s/);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(2500);
  });
});

describe('binlog retention', () => {
  it('connection test warns when a snapshot would outlast the retention', async () => {
    await db.src!.query('SET GLOBAL binlog_expire_logs_seconds = 1');
    const short = await cli(['connection', 'test', 'shop-src']);
    expect(short.stdout).toMatch(/binlog retention: 1 s \(binlog_expire_logs_seconds\); 1 file\(s\)/);
    expect(short.stdout).toContain(
      'warning:         the source keeps binlogs for 1 s (binlog_expire_logs_seconds), but a snapshot is estimated');
    await db.src!.query('SET GLOBAL binlog_expire_logs_seconds = 86400');
    const long = await cli(['connection', 'test', 'shop-src']);
    expect(long.stdout).toContain('binlog retention: 24.0 h (binlog_expire_logs_seconds)');
    expect(long.stdout).not.toContain('a snapshot is estimated');
    const json = JSON.parse((await cli(['connection', 'test', 'shop-src', '--json'])).stdout);
    expect(json.retention.source.retention).toBe(86_400);
    expect(json.retention.pairs[0]).toMatchObject({ pair: 'shop', risk: { level: 'ok' } });
  });

  it('status reports a stopped pair whose checkpoint binlog is about to be purged, before it is', async () => {
    await db.src!.query('UPDATE shop.hot SET c = c + 1 WHERE id = 1'); // the checkpoint moves now
    const hot = (c: mysql.Connection) => checksum(c, 'hot', 'id, c');
    await until('the change applied', async () => (await hot(db.dst!)) === (await hot(db.src!)));
    await service!.terminate();
    service = undefined;
    const [ckptFile] = Object.values(await one(db.src!, 'SHOW MASTER STATUS')).map(String);
    await db.src!.query('FLUSH BINARY LOGS'); // the checkpoint's file is no longer the current one
    await db.src!.query('SET GLOBAL binlog_expire_logs_seconds = 20');
    type J = { pairs: Array<{ binlogRetention?: { level: string; message: string } }> };
    const risk = async () => (JSON.parse((await cli(['status', '--json'])).stdout) as J).pairs[0]!.binlogRetention;
    expect((await risk())?.level).toBe('ok');
    const soon = await until('the purge warning',
      async () => ((await risk())?.level === 'soon' ? risk() : undefined), 30_000);
    expect(soon!.message).toContain(`its checkpoint binlog ${ckptFile} (the oldest binlog on the source`);
    const text = (await cli(['status'])).stdout;
    // the window ahead, or (a slow machine, the pair stopped longer than the retention by now) the next rotation
    const line = `warning: pair "shop": pair stopped for \\d+ s; its checkpoint binlog ${ckptFile}.* `
      + "(may be purged from about|goes at the source's next binlog rotation)";
    expect(text).toMatch(new RegExp(line));
    // reported before it happens: the file is still there
    const files = async () => (await all<{ Log_name: string }>(db.src!, 'SHOW BINARY LOGS')).map((f) => f.Log_name);
    expect(await files()).toContain(ckptFile);

    await until('the file to be purged at a rotation', async () => {
      await db.src!.query('FLUSH BINARY LOGS');
      return !(await files()).includes(ckptFile!);
    }, 30_000);
    expect((await risk())?.level).toBe('purged');
    expect((await cli(['status'])).stdout)
      .toContain(`warning: pair "shop": the pair's checkpoint binlog ${ckptFile} is no longer on the source`);
  });
});
