/**
 * Throttling on a lagging replica of the source (settings.throttleReplicaLag and a pair's
 * throttleReplicas), with real servers: a source, a native MariaDB replica of it (GTID) and a
 * target. The replica is made to lag for real: a session on the replica holds LOCK TABLES
 * WRITE on a table the source then updates, so the replica's SQL thread waits and its
 * Seconds_Behind_Master grows past the limit. The service's snapshot then waits between
 * chunks and says why (status, log); once the lock is released the replica catches up, the
 * snapshot resumes on its own and the target ends equal to the source (CHECKSUM TABLE).
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { waitUntil, shopSchemaSql } from '../helpers/data-fixtures.js';
import { startServer, type TestServer } from '../helpers/mariadb-server.js';
import { readStatus, startService, waitForPair, writeServiceConfig, type RunningService } from './service-helpers.js';

const LAG_LIMIT = 2;
const ROWS = 50_000;

let source: TestServer;
let replica: TestServer;
let target: TestServer;
let home: string;
let service: RunningService | undefined;
let locker: mysql.Connection | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The replica's Seconds_Behind_Master (null while its SQL or IO thread is not running). */
async function replicaLag(): Promise<number | null> {
  const c = await replica.connect();
  try {
    const [rows] = await c.query('SHOW SLAVE STATUS') as unknown as [Array<Record<string, unknown>>];
    const lag = rows[0]?.Seconds_Behind_Master;
    return lag === null || lag === undefined ? null : Number(lag);
  } finally {
    await c.end();
  }
}

const checksums = (s: TestServer) => s.sql('CHECKSUM TABLE shop.items, shop.hot EXTENDED')
  .trim().split('\n').map((l) => l.split('\t')[1]).join(' ');

beforeAll(async () => {
  [source, replica, target] = await Promise.all([
    startServer({ binlog: true, serverId: 51, label: 'thr-src' }),
    startServer({ binlog: false, serverId: 52, label: 'thr-rep' }),
    startServer({ binlog: false, serverId: 53, label: 'thr-dst' }),
  ]);
  source.sql('CREATE DATABASE shop;');
  source.sql(shopSchemaSql(ROWS), 'shop');
  replica.sql(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${source.port}, MASTER_USER='root',
    MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;`);
  target.sql('CREATE DATABASE shop;');
  home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-throttle-replica-'));
  writeServiceConfig(home, [{ name: 'shop', source: { port: source.port, database: 'shop' },
    target: { port: target.port, database: 'shop' }, options: { throttleReplicas: ['shop-replica'] } }],
  { throttleThreadsRunning: 0, throttleReplicaLag: LAG_LIMIT });
  // the pair's throttle replica: a connection of its own in the same config
  const file = path.join(home, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as { connections: unknown[] };
  config.connections.push({ name: 'shop-replica', host: '127.0.0.1', port: replica.port, user: 'root', password: '',
    database: 'shop' });
  writeFileSync(file, JSON.stringify(config, null, 2));
});

afterEach(async (t) => {
  if (t.task.result?.state === 'fail' && home) {
    let log = '';
    try { log = readFileSync(path.join(home, 'logs', 'combined.log'), 'utf8'); } catch { /* not written yet */ }
    console.log(log.split('\n').slice(-30).join('\n'), service?.output().slice(-3000));
  }
});

afterAll(async () => {
  await service?.terminate();
  await locker?.end().catch(() => undefined);
  await Promise.all([source, replica, target].map((s) => s?.stop()));
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('throttling on a lagging replica of the source', () => {
  it('waits while the replica lags past the limit, says why, and resumes once it catches up', async () => {
    await waitUntil('the replica to copy the seed rows', () => checksums(replica) === checksums(source), 60_000);
    expect(await replicaLag()).toBe(0);

    // the replica's SQL thread waits for this lock while the source updates the table: it lags
    locker = await replica.connect();
    await locker.query('LOCK TABLES shop.hot WRITE');
    source.sql('UPDATE shop.hot SET c = c + 1 WHERE id = 1;');
    await waitUntil(`replica lag > ${LAG_LIMIT} s`, async () => ((await replicaLag()) ?? 0) > LAG_LIMIT, 30_000);

    service = startService(home, [], { DB_SYNC_SNAPSHOT_CHUNK_ROWS: '1000' });
    const first = await waitForPair(home, 'shop', 'throttled in its snapshot',
      (p) => p.state === 'snapshot' && !!p.throttled);
    expect(first.throttled!.reason).toMatch(new RegExp(`^replica shop-replica lag \\d+ s > ${LAG_LIMIT} s$`));

    // paused: no chunk is copied while the replica lags (an observation window, not a wait)
    const copied = first.snapshot?.rowsDone ?? 0;
    await sleep(3000);
    const during = readStatus(home)!.pairs[0]!;
    expect(during.state).toBe('snapshot');
    expect(during.throttled?.reason).toMatch(/^replica shop-replica lag \d+ s > 2 s$/);
    expect(during.snapshot?.rowsDone ?? 0).toBe(copied);
    expect(copied).toBeLessThan(ROWS);
    expect(await replicaLag()).toBeGreaterThan(LAG_LIMIT + 2);

    // the lock goes, the replica catches up, the snapshot resumes by itself
    const unlocked = Date.now();
    await locker.query('UNLOCK TABLES');
    await waitUntil('the replica to catch up', async () => (await replicaLag()) === 0, 30_000);
    const resumed = await waitForPair(home, 'shop', 'copying again', (p) => !p.throttled, 30_000);
    const resumedMs = Date.now() - unlocked;
    const done = await waitForPair(home, 'shop', 'streaming after the replica caught up',
      (p) => p.state === 'streaming', 90_000);
    expect(done.throttled).toBeNull();
    expect(done.throttledSecTotal).toBeGreaterThanOrEqual(3);
    console.log(`throttled ${done.throttledSecTotal.toFixed(1)} s in all; reads resumed ${resumedMs} ms after the `
      + `replica's lock went (state then: ${resumed.state}); streaming ${Date.now() - unlocked} ms after it`);

    const log = readFileSync(path.join(home, 'logs', 'combined.log'), 'utf8');
    const busy = log.split('\n').filter((l) => l.includes('source busy: bulk reads wait'));
    expect(busy.some((l) => /replica shop-replica lag \d+ s > 2 s/.test(l)), busy.join('\n')).toBe(true);
    expect(log).toContain('source load back under the limits: bulk reads resume');

    source.sql('UPDATE shop.hot SET c = c + 5 WHERE id = 2; DELETE FROM shop.items WHERE id <= 10;');
    await waitUntil('target equal to source', () => checksums(target) === checksums(source), 60_000,
      () => [checksums(source), checksums(target)]);
    expect(checksums(target)).toBe(checksums(source));
    expect(checksums(replica)).toBe(checksums(source));
  });
});
