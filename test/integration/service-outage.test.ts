/**
 * Server outages while the service runs: the source (then the target) stopped for 20 s and
 * started again. The pair shows 'retrying' with the error, then streams again, and nothing is
 * lost. Uses servers of its own (stop/restart). Needs the real engine.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import type mysql from 'mysql2/promise';
import { startServer, type TestServer } from '../helpers/mariadb-server.js';
import { startService, waitForPair, waitUntilEqual, writeServiceConfig, type RunningService } from './service-helpers.js';

const OUTAGE_MS = 20_000;
const BACK_MS = 60_000; // streaming again after the restart
const EQUAL_MS = 90_000; // target equal to source after that
/** Each test's budget: the sum of its waits plus room, far from any of them (was the 120 s default). */
const TEST_MS = BACK_MS /* streaming before */ + OUTAGE_MS + BACK_MS + EQUAL_MS + 60_000;
let source: TestServer;
let target: TestServer;
let home: string;
let service: RunningService;

const conn = async (s: TestServer) => s.connect('app');
const insert = async (s: TestServer, from: number, count: number) => {
  const c = await conn(s);
  for (let i = 0; i < count; i += 1) await c.query('INSERT INTO items (id, label) VALUES (?, ?)', [from + i, `item ${from + i}`]);
  await c.end();
};
const equal = async () => {
  const [a, b] = [await conn(source), await conn(target)];
  try {
    await waitUntilEqual(a as mysql.Connection, b as mysql.Connection, EQUAL_MS);
  } finally {
    await Promise.all([a.end(), b.end()]);
  }
};

/** Stop `server` for OUTAGE_MS while the service runs; returns the status seen while it was down. */
async function outage(server: TestServer, during?: () => Promise<void>) {
  // Each test starts from a streaming pair, whatever an earlier test left behind.
  await waitForPair(home, 'p', 'streaming before the outage', (p) => p.state === 'streaming', BACK_MS);
  const t0 = Date.now();
  await server.stop(true);
  try {
    await during?.();
    const seen = await waitForPair(home, 'p', 'retrying', (p) => p.state === 'retrying', OUTAGE_MS);
    // The outage lasts OUTAGE_MS: the pair keeps retrying that long (the length is the scenario, not a wait).
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - t0))));
    return seen;
  } finally {
    await server.restart(); // also when a wait failed, so the next test has its server
  }
}

describe('service during server outages', () => {
  beforeAll(async () => {
    [source, target] = await Promise.all([startServer({ binlog: true, serverId: 21, label: 'outage-src' }), startServer({ binlog: false, serverId: 22, label: 'outage-dst' })]);
    source.sql('CREATE DATABASE app; CREATE TABLE app.items (id INT PRIMARY KEY, label VARCHAR(50) NOT NULL);');
    target.sql('CREATE DATABASE app;');
    home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-outage-'));
    writeServiceConfig(home, [{ name: 'p', source: { port: source.port, database: 'app' }, target: { port: target.port, database: 'app' } }], { retryDelay: 1000, maxRetries: 100 });
    await insert(source, 1, 50);
    service = startService(home);
    await waitForPair(home, 'p', 'streaming', (p) => p.state === 'streaming');
    await equal();
  }, 2 * BACK_MS + EQUAL_MS);
  afterAll(async () => {
    await service?.terminate();
    await Promise.all([source?.stop(), target?.stop()]);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('shows retrying while the source is down for 20 s, then streams again without losing a row', async () => {
    const seen = await outage(source);
    // The binlog stream notices first (BINLOG_STREAM_LOST), or a new connection is refused.
    expect(seen.lastError?.code).toMatch(/^(DB_CONNECTION_|BINLOG_STREAM_LOST)/);
    expect(seen.nextRetryAt).not.toBeNull();
    await insert(source, 1000, 50);
    const back = await waitForPair(home, 'p', 'streaming again', (p) => p.state === 'streaming', BACK_MS);
    expect(back.retryCount).toBe(0);
    await equal();
  }, TEST_MS);

  it('shows retrying while the target is down for 20 s, applies what the source wrote meanwhile, and loses nothing', async () => {
    const seen = await outage(target, () => insert(source, 2000, 50));
    expect(seen.lastError?.code).toMatch(/^DB_CONNECTION_/);
    expect(seen.nextRetryAt).not.toBeNull();
    await insert(source, 3000, 20);
    await waitForPair(home, 'p', 'streaming again', (p) => p.state === 'streaming', BACK_MS);
    await equal();
    expect(service.child.exitCode).toBeNull();
  }, TEST_MS);
});
