/**
 * The service's documented stop contract and pair isolation, driven by a pair whose target
 * transaction waits on a row lock the test holds: SIGTERM exits 1 once the 15 s stop deadline
 * passes, a second SIGTERM exits 130 at once, and the slow pair never stalls another pair.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type mysql from 'mysql2/promise';
import { createContext, rootConnection, type TestContext } from '../helpers/context.js';
import { waitUntil } from '../helpers/data-fixtures.js';
import {
  readStatus, startService, waitForPair, waitUntilEqual, writeServiceConfig, type RunningService,
} from './service-helpers.js';

let ctx: TestContext;
let other: TestContext | null;
let locker: mysql.Connection | null;
let services: RunningService[] = [];

beforeEach(async () => {
  ctx = await createContext('svcslow');
  other = null;
  locker = null;
  services = [];
});
afterEach(async () => {
  for (const s of services) await s.terminate('SIGKILL');
  await locker?.end().catch(() => undefined);
  await other?.close();
  await ctx.close();
});

const endpoints = (c: TestContext) => ({
  source: { port: c.ports.source, database: c.sourceDb }, target: { port: c.ports.target, database: c.targetDb },
});

/**
 * Creates `slow` on c's source, waits until the running pair copied it, then holds a row lock
 * on the target's row 1 and updates that row on the source: the pair's apply waits on the lock
 * (innodb_lock_wait_timeout is 50 s). Resolves once the target shows the pair's session waiting.
 */
async function blockPairOn(c: TestContext, pair: string): Promise<mysql.Connection> {
  await c.source.query('CREATE TABLE slow (id INT PRIMARY KEY, v INT NOT NULL)');
  await c.source.query('INSERT INTO slow VALUES (1, 0), (2, 0)');
  await waitForPair(ctx.home, pair, 'streaming', (p) => p.state === 'streaming');
  await waitUntil('slow copied to the target', async () => {
    const [r] = await c.target.query('SELECT COUNT(*) AS n FROM slow') as unknown as [Array<{ n: number }>];
    return Number(r[0]!.n) === 2;
  }, 60_000);
  const lock = await rootConnection(c.ports.target, c.targetDb);
  locker = lock; // afterEach ends it even if a wait below fails (its lock would block DROP DATABASE)
  await lock.query('BEGIN');
  await lock.query('SELECT * FROM slow WHERE id = 1 FOR UPDATE');
  await c.source.query('UPDATE slow SET v = v + 1 WHERE id = 1');
  // The lock tables do not always show the wait: a pair stuck behind its source (lag > 3 s) counts too.
  const stuck = () => { const st = readStatus(ctx.home)?.pairs.find((p) => p.name === pair);
    return st?.caughtUp === false && (st.lagMs ?? 0) > 3000; };
  await waitUntil('the pair waiting on the row lock on the target', async () => stuck() || lockWaits(lock, c.targetDb),
    60_000,
    () => readStatus(ctx.home)?.pairs.find((p) => p.name === pair));
  return lock;
}

/** Whether a transaction of `db` (its session's database, or named in its statement) waits on a row lock. */
async function lockWaits(conn: mysql.Connection, db: string): Promise<boolean> {
  const sql = 'SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p'
    + " ON p.ID = t.trx_mysql_thread_id WHERE t.trx_state = 'LOCK WAIT' AND (p.DB = ? OR t.trx_query LIKE ?)";
  const [r] = await conn.query(sql, [db, `%${db}%`]) as unknown as [Array<{ n: number }>];
  return Number(r[0]!.n) > 0;
}

describe('service stop deadline and slow pairs (real engine)', () => {
  it('exits 1 when a pair cannot finish its transaction within the 15 s stop deadline', async () => {
    writeServiceConfig(ctx.home, [{ name: 'p', ...endpoints(ctx) }]);
    const svc = startService(ctx.home);
    services.push(svc);
    await blockPairOn(ctx, 'p');
    const stop = await svc.terminate();
    expect(stop.code, svc.output()).toBe(1);
    expect(stop.ms).toBeGreaterThanOrEqual(14_000);
    expect(stop.ms).toBeLessThan(30_000);
    expect(svc.output()).toContain('pairs did not stop before the deadline');
  }, 120_000);

  it('exits 130 at once on a second SIGTERM while the first one waits for a pair', async () => {
    writeServiceConfig(ctx.home, [{ name: 'p', ...endpoints(ctx) }]);
    const svc = startService(ctx.home);
    services.push(svc);
    await blockPairOn(ctx, 'p');
    const exited = new Promise<number | null>((r) => svc.child.once('exit', (code) => r(code)));
    svc.child.kill('SIGTERM');
    await waitUntil('the service to log the first signal', () => svc.output().includes('shutdown requested'), 30_000,
      () => svc.output().slice(-2000));
    expect(svc.child.exitCode, 'the first SIGTERM alone must not end the service while the pair waits').toBeNull();
    const t0 = Date.now();
    svc.child.kill('SIGTERM');
    const code = await exited;
    expect(code, svc.output()).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(svc.output()).toContain('second signal: forced exit');
  }, 120_000);

  it('keeps syncing one pair while another pair\'s target is slowed by a held row lock', async () => {
    other = await createContext('svcslow2');
    await ctx.source.query('CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40) NOT NULL)');
    writeServiceConfig(ctx.home, [{ name: 'slow', ...endpoints(other) }, { name: 'good', ...endpoints(ctx) }]);
    const svc = startService(ctx.home);
    services.push(svc);
    const lock = await blockPairOn(other, 'slow');
    await waitForPair(ctx.home, 'good', 'streaming', (p) => p.state === 'streaming');
    const before = (await waitForPair(ctx.home, 'good', 'streaming', () => true)).totals.rows;
    for (let i = 0; i < 50; i += 1) await ctx.source.query('INSERT INTO events (v) VALUES (?)', [`row ${i}`]);
    // The good pair applies all 50 rows while the slow pair's transaction still waits on the lock.
    await waitUntilEqual(ctx.source, ctx.target, 30_000);
    const good = await waitForPair(ctx.home, 'good', 'counting the rows', (p) => p.totals.rows >= before + 50);
    expect(good.totals.rows).toBeGreaterThanOrEqual(before + 50);
    expect(await lockWaits(lock, other.targetDb), 'the slow pair must still wait on the lock').toBe(true);
    // Slow, not dead: once the lock goes, the slow pair catches up too.
    await lock.query('ROLLBACK');
    await waitUntilEqual(other.source, other.target, 60_000);
    expect((await svc.terminate()).code, svc.output()).toBe(0);
  }, 180_000);
});
