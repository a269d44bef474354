/**
 * Source failover by GTID, with real servers: a primary, a native MariaDB replica of it
 * (MASTER_USE_GTID=slave_pos, log_slave_updates=ON) and the service streaming the primary to
 * a target under a steady write load. The primary is killed -9, the replica promoted (STOP
 * SLAVE; RESET SLAVE ALL), the source connection re-pointed with `connection edit`: the pair
 * continues from its GTIDs without a snapshot and the target equals the new primary. When
 * the promoted server lacks a transaction the target has, or has one the old primary never
 * had, the pair stops with SOURCE_MISSING_GTIDS / SOURCE_DIVERGED naming the GTIDs; re-pointed at another
 * server while its checkpoint has no GTID state, with SOURCE_CHANGED.
 */
import { describe, it, expect, afterEach } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type mysql from 'mysql2/promise';
import { runCli } from '../helpers/context.js';
import { startServer, type TestServer } from '../helpers/mariadb-server.js';
import { startService, waitForPair, writeServiceConfig, type RunningService } from './service-helpers.js';

const DB = 'app';
let servers: TestServer[] = [];
let service: RunningService | undefined;
let home = '';

afterEach(async (t) => {
  if (t.task.result?.state === 'fail' && home) {
    const log = readFileSync(path.join(home, 'logs', 'combined.log'), 'utf8').split('\n').slice(-40).join('\n');
    console.log(log); // the service's last words, to see why
  }
  await service?.terminate();
  service = undefined;
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
  if (home) rmSync(home, { recursive: true, force: true });
});

const REPLICA_ARGS = ['--log-slave-updates=ON'];

/** primary -> replica (native GTID replication), target, the service streaming primary -> target. */
async function topology(label: string) {
  const [primary, replica, target] = await Promise.all([
    startServer({ binlog: true, serverId: 41, label: `${label}-p`, extraArgs: REPLICA_ARGS }),
    startServer({ binlog: true, serverId: 42, label: `${label}-r`, extraArgs: REPLICA_ARGS }),
    startServer({ binlog: false, serverId: 43, label: `${label}-t` }),
  ]);
  servers = [primary, replica, target];
  primary.sql(`CREATE DATABASE ${DB}; CREATE TABLE ${DB}.items (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40));
    INSERT INTO ${DB}.items VALUES (1, 0, 'seed'), (2, 0, 'seed');`);
  replica.sql(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='root',
    MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;`);
  target.sql(`CREATE DATABASE ${DB};`);
  home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-failover-'));
  writeServiceConfig(home, [{ name: 'p', source: { port: primary.port, database: DB }, target: { port: target.port,
    database: DB } }],
    { retryDelay: 300, maxRetries: 100 });
  service = startService(home);
  await waitForPair(home, 'p', 'streaming', (p) => p.state === 'streaming');
  return { primary, replica, target };
}

/**
 * Inserts and updates, one transaction each, on whichever server is the primary. `hold()` parks
 * the writer inside an open transaction (its rows sent, COMMIT not yet): the primary can then be
 * killed with a write in flight while the replica already has every committed transaction.
 */
function writer(start: TestServer) {
  let server = start;
  let stopped = false;
  let next = 100;
  const committed = { before: 0, after: 0 };
  let phase: 'before' | 'after' = 'before';
  const gate: { held: { parked: () => void; release: Promise<void>; resume: () => void } | null } = { held: null };
  const run = (async () => {
    let c: mysql.Connection | null = null;
    while (!stopped) {
      try {
        c ??= await server.connect(DB);
        const id = next++;
        await c.query('BEGIN');
        await c.query('INSERT INTO items VALUES (?, ?, ?)', [id, id % 7, `row ${id}`]);
        await c.query('UPDATE items SET v = v + 1 WHERE id = ?', [1 + (id % 50)]);
        const held = gate.held;
        if (held) {
          held.parked();
          await held.release;
        }
        await c.query('COMMIT');
        committed[phase] += 1;
      } catch {
        await c?.destroy();
        c = null;
        await sleep(50);
      }
      await sleep(3);
    }
    await c?.end().catch(() => undefined);
  })();
  return {
    committed,
    /** Resolves once the writer waits inside an open transaction. */
    hold(): Promise<void> {
      return new Promise((parked) => {
        let resume = () => undefined as void;
        const release = new Promise<void>((r) => { resume = r; });
        gate.held = { parked, release, resume };
      });
    },
    /** From now on write to `s` (the promoted replica); a held writer goes on (its COMMIT fails). */
    switchTo(s: TestServer) {
      server = s;
      phase = 'after';
      const h = gate.held;
      gate.held = null;
      h?.resume();
    },
    async stop() { stopped = true; await run; },
  };
}

/**
 * Until the replica has applied every transaction the primary has. Under asynchronous replication a
 * primary killed at an arbitrary moment can leave db-sync one transaction ahead of the replica (it
 * read the binlog first): the pair then rightly stops with SOURCE_MISSING_GTIDS, the next test's case.
 */
async function replicaHasAll(primary: TestServer, replica: TestServer): Promise<void> {
  const want = primary.sql('SELECT @@gtid_binlog_pos').trim();
  const deadline = Date.now() + 30_000;
  while (replica.sql('SELECT @@gtid_slave_pos').trim() !== want) {
    if (Date.now() > deadline) throw new Error(`the replica did not reach ${want}`);
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function checksum(s: TestServer): Promise<string> {
  return s.sql(`CHECKSUM TABLE ${DB}.items; SELECT COUNT(*) FROM ${DB}.items`).trim();
}

async function waitEqual(a: TestServer, b: TestServer, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const [x, y] = [await checksum(a), await checksum(b)];
    if (x.split('\t').slice(1).join() === y.split('\t').slice(1).join()) return;
    if (Date.now() > deadline) throw new Error(`not equal after ${ms} ms: ${x} vs ${y}`);
    await sleep(300);
  }
}

/** The replica has applied everything it received from the dead primary; make it the primary. */
async function promote(replica: TestServer): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!/read all relay log/.test(replica.sql('SHOW SLAVE STATUS\\G'))) {
    if (Date.now() > deadline) throw new Error(`replica did not drain its relay log: ` +
      `${replica.sql('SHOW SLAVE STATUS\\G')}`);
    await sleep(100);
  }
  replica.sql('STOP SLAVE; RESET SLAVE ALL;');
}

const checkpoint = (target: TestServer) => JSON.parse(target.sql(
  `SELECT state FROM ${DB}._db_sync_checkpoint WHERE pair_name = 'p' AND stream = ` +
    `'binlog'`).trim()) as Record<string, unknown>;

const repoint = async (to: TestServer) => {
  const r = await runCli(['connection', 'edit', 'p-src', '--port', String(to.port)], { ...process.env,
    DB_SYNC_HOME: home });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
};

describe('source failover by GTID', () => {
  it('continues on the promoted replica without a snapshot, with writes before, during and after the switch',
    async () => {
    const { primary, replica, target } = await topology('fo');
    const w = writer(primary);
    await sleep(2500);
    await w.hold();
    await replicaHasAll(primary, replica);
    process.kill(primary.pid as number, 'SIGKILL'); // a write in flight: its transaction is open
    await promote(replica);
    w.switchTo(replica); // writes while the pair still points at the dead primary
    await sleep(1500);
    await repoint(replica);
    await waitForPair(home, 'p', 'streaming from the new primary',
      (p) => p.state === 'streaming' && checkpoint(target).serverId === 42, 60_000);
    await sleep(2000); // writes after the switch
    await w.stop();
    await waitEqual(replica, target);
    expect(w.committed.before).toBeGreaterThan(100);
    expect(w.committed.after).toBeGreaterThan(100);
    const ck = checkpoint(target);
    expect(ck.gtids).toBe(replica.sql('SELECT @@gtid_binlog_pos').trim());
    const log = readFileSync(path.join(home, 'logs', 'combined.log'), 'utf8');
    const failoverAt = log.indexOf('continuing from the checkpoint');
    expect(failoverAt).toBeGreaterThan(0);
    expect(log.slice(failoverAt)).not.toContain('snapshot: copying tables');
    const pair = await waitForPair(home, 'p', 'streaming', (p) => p.state === 'streaming');
    expect(pair.lastError ?? null).toBeNull();
  }, 180_000);

  it('stops with SOURCE_MISSING_GTIDS when the promoted replica never got a transaction the target has', async () => {
    const { primary, replica, target } = await topology('fm');
    replica.sql('STOP SLAVE;'); // the replica falls behind ...
    primary.sql(`INSERT INTO ${DB}.items VALUES (10, 1, 'only on the old primary')`);
    const lost = primary.sql('SELECT @@gtid_binlog_pos').trim();
    await waitEqual(primary, target); // ... while db-sync applied it
    process.kill(primary.pid as number, 'SIGKILL');
    replica.sql('RESET SLAVE ALL;');
    replica.sql(`INSERT INTO ${DB}.items VALUES (11, 1, 'new primary')`);
    await repoint(replica);
    const p = await waitForPair(home, 'p', 'error', (s) => s.lastError?.code === 'SOURCE_MISSING_GTIDS', 60_000);
    expect(p.lastError?.message).toContain(lost);
    expect(p.lastError?.hint).toContain('--resnapshot');
    expect(p.lastError?.hint).toContain('verify PAIR --repair');
    expect(target.sql(`SELECT COUNT(*) FROM ${DB}.items WHERE id = 11`).trim()).toBe('0'); // nothing applied
    expect(checkpoint(target).serverId).toBe(41);
  }, 180_000);

  it('stops with SOURCE_DIVERGED when the replica has an errant transaction before the checkpoint', async () => {
    const { primary, replica, target } = await topology('fd');
    replica.sql(`INSERT INTO ${DB}.items VALUES (20, 1, 'errant, written on the replica')`);
    const errant = replica.sql('SELECT @@gtid_binlog_pos').trim();
    primary.sql(`INSERT INTO ${DB}.items VALUES (21, 1, 'primary')`);
    await waitEqual(primary, target);
    const deadline = Date.now() + 20_000;
    while (replica.sql(`SELECT COUNT(*) FROM ${DB}.items WHERE id = 21`).trim() !== '1') {
      if (Date.now() > deadline) throw new Error('the replica did not get row 21');
      await sleep(100);
    }
    process.kill(primary.pid as number, 'SIGKILL');
    await promote(replica);
    await repoint(replica);
    const p = await waitForPair(home, 'p', 'error', (s) => s.lastError?.code === 'SOURCE_DIVERGED', 60_000);
    expect(p.lastError?.message).toContain(errant);
    expect(target.sql(`SELECT COUNT(*) FROM ${DB}.items WHERE id = 20`).trim()).toBe('0');
  }, 180_000);

  it('stops with SOURCE_CHANGED when pointed at another server while the checkpoint has no GTID state', async () => {
    const { primary, replica, target } = await topology('fc');
    await waitEqual(primary, target);
    await waitEqual(primary, replica);
    await service!.terminate();
    // A checkpoint written before db-sync resumed by GTID: only file:pos, meaningless on another server.
    target.sql(`UPDATE ${DB}._db_sync_checkpoint SET state = JSON_REMOVE(state, '$.gtids') ` +
      `WHERE pair_name = 'p' AND stream = 'binlog'`);
    expect(checkpoint(target).gtids).toBeUndefined();
    await promote(replica);
    replica.sql(`INSERT INTO ${DB}.items VALUES (30, 1, 'written on the other server')`);
    await repoint(replica);
    service = startService(home);
    const p = await waitForPair(home, 'p', 'error', (x) => x.lastError?.code === 'SOURCE_CHANGED', 60_000);
    expect(p.lastError?.message).toContain('the checkpoint has no GTID state');
    expect(p.lastError?.message).toContain('server_id 41');
    expect(p.lastError?.hint).toContain('--resnapshot');
    expect(target.sql(`SELECT COUNT(*) FROM ${DB}.items WHERE id = 30`).trim()).toBe('0'); // nothing applied
    expect(checkpoint(target).serverId).toBe(41);
  }, 180_000);
});
