/**
 * `db-sync cutover` end to end on two throwaway servers of its own (it sets read_only on the
 * source) with a real service: every refusal changes nothing (source writable, pair enabled,
 * events still disabled), then a successful cutover leaves the source read-only, the target
 * equal to it with its events' statuses the source's (one enabled, one disabled), and the pair
 * disabled in the config and the service.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { CLI, ROOT, runCli } from '../helpers/context.js';
import { startServer, type TestServer } from '../helpers/mariadb-server.js';
import { spawnPty } from '../helpers/pty.js';
import { dumpDatabase, startService, waitForPair, waitUntilEqual, writeServiceConfig, type RunningService } from './service-helpers.js';

let source: TestServer;
let target: TestServer;
let home: string;
let service: RunningService;
const db: Record<string, mysql.Connection> = {};

const cli = (args: string[], timeoutMs = 120_000) => runCli(args, { ...process.env, DB_SYNC_HOME: home, NO_COLOR: '1' }, { timeoutMs });
const cutover = (pair: string, ...flags: string[]) => cli(['cutover', pair, '--quiet-period', '1', ...flags]);
const one = async (c: mysql.Connection, sql: string) => ((await c.query(sql)) as unknown as [Array<Record<string, unknown>>])[0][0];
const readOnly = async () => Number((await one(db.src!, 'SELECT @@GLOBAL.read_only AS r'))!.r);
const pairEnabled = (name: string) => JSON.parse(readFileSync(path.join(home, 'config.json'), 'utf8')).syncPairs.find((p: { name: string }) => p.name === name).enabled !== false;
const eventStatus = async (name = 'nightly') => String((await one(db.dst!, `SELECT STATUS AS s FROM information_schema.EVENTS WHERE EVENT_SCHEMA = 'shop' AND EVENT_NAME = '${name}'`))!.s);

/** What every refusal must leave as it was. */
async function expectUnchanged(): Promise<void> {
  expect(await readOnly()).toBe(0);
  expect(pairEnabled('shop')).toBe(true);
  expect(await eventStatus()).toBe('SLAVESIDE_DISABLED');
  expect(await eventStatus('weekly')).toBe('SLAVESIDE_DISABLED');
}

async function caughtUp(): Promise<void> {
  await waitUntilEqual(db.src!, db.dst!, 60_000);
}

beforeAll(async () => {
  [source, target] = await Promise.all([startServer({ binlog: true, serverId: 31, label: 'cut-src' }), startServer({ binlog: false, serverId: 32, label: 'cut-dst' })]);
  source.sql(`CREATE DATABASE shop; CREATE DATABASE crm;
    CREATE TABLE shop.orders (id INT PRIMARY KEY, total DECIMAL(10,2) NOT NULL, note VARCHAR(40));
    CREATE TABLE shop.audit (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME NOT NULL);
    INSERT INTO shop.orders VALUES (1, 10.50, 'a'), (2, 20.00, NULL), (3, 30.25, 'c');
    CREATE EVENT shop.nightly ON SCHEDULE EVERY 1 DAY STARTS CURRENT_TIMESTAMP + INTERVAL 1 DAY DO INSERT INTO shop.audit (at) VALUES (NOW());
    CREATE EVENT shop.weekly ON SCHEDULE EVERY 1 WEEK DISABLE DO DELETE FROM shop.audit;
    CREATE TABLE crm.contacts (id INT PRIMARY KEY, name VARCHAR(20));
    INSERT INTO crm.contacts VALUES (1, 'x'), (2, 'y');
    CREATE USER app@'%' IDENTIFIED BY 'app'; GRANT INSERT, SELECT ON shop.* TO app@'%';`);
  target.sql('CREATE DATABASE shop; CREATE DATABASE crm;');
  home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-cutover-'));
  writeServiceConfig(home, [
    { name: 'shop', source: { port: source.port, database: 'shop' }, target: { port: target.port, database: 'shop' } },
    { name: 'crm', source: { port: source.port, database: 'crm' }, target: { port: target.port, database: 'crm' } },
  ]);
  db.src = await source.connect('shop') as unknown as mysql.Connection;
  db.dst = await target.connect('shop') as unknown as mysql.Connection;
  service = startService(home);
  await waitForPair(home, 'shop', 'streaming', (p) => p.state === 'streaming');
  await waitForPair(home, 'crm', 'streaming', (p) => p.state === 'streaming');
  await caughtUp();
});

afterAll(async () => {
  await service?.terminate();
  await Promise.all(Object.values(db).map((c) => c.end().catch(() => undefined)));
  await Promise.all([source?.stop(), target?.stop()]);
  rmSync(home, { recursive: true, force: true });
});

describe('db-sync cutover', () => {
  it('refuses without a terminal and without --yes, naming --yes', async () => {
    const r = await cutover('shop', '--freeze-source');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: cutover asks before each change, but there is no terminal to ask on');
    expect(r.stderr).toContain('hint: Pass --yes');
    await expectUnchanged();
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const r = await cutover('shop', '--freeze-source', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/step 1\/5: set the source read-only \(SET GLOBAL read_only = ON; needs READ_ONLY ADMIN\)/);
    expect(r.stdout).toContain('step 5/5: enable 1 event(s) on the target: ALTER EVENT nightly ENABLE; '
      + 'keep 1 disabled as on the source: ALTER EVENT weekly DISABLE');
    expect(r.stdout).toContain('dry run: nothing was changed.');
    await expectUnchanged();
  });

  it('asks before each change on a terminal; answering no changes nothing', async () => {
    const pty = spawnPty([process.execPath, CLI, 'cutover', 'shop', '--freeze-source', '--quiet-period', '1'], { ...process.env, DB_SYNC_HOME: home }, ROOT);
    await pty.expect('Set the source read-only now (SET GLOBAL read_only = ON)?');
    pty.write('n\r');
    expect(await pty.exit()).toBe(1);
    expect(pty.output()).toContain('cutover stopped before setting the source read-only');
    await expectUnchanged();
  });

  it('refuses while the source still takes writes (without --freeze-source)', async () => {
    let stop = false;
    const writer = (async () => {
      for (let i = 100; !stop; i += 1) {
        await db.src!.query('INSERT INTO orders VALUES (?, 1, NULL)', [i]);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      const r = await cutover('shop', '--yes');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error: the source still takes writes: the source's binlog position moved from \S+ to \S+/);
      expect(r.stderr).toContain('or pass --freeze-source');
    } finally {
      stop = true;
      await writer;
    }
    await expectUnchanged();
    await caughtUp();
  });

  it('refuses when verify finds a difference, and sets the source writable again', async () => {
    await db.dst!.query("UPDATE orders SET note = 'changed by hand' WHERE id = 2");
    try {
      const r = await cutover('shop', '--freeze-source', '--yes');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/orders: DIFFERS: 1 different \(e\.g\. .*2/);
      expect(r.stderr).toContain('error: the target differs from the source');
      expect(r.stderr).toContain('db-sync verify shop --repair');
      expect(r.stdout).toContain('the source is writable again (read_only=OFF)');
    } finally {
      await db.dst!.query('UPDATE orders SET note = NULL WHERE id = 2');
    }
    await expectUnchanged();
  });

  it('refuses when the pair does not catch up within --timeout (no service running)', async () => {
    await service.terminate();
    await db.src!.query('INSERT INTO orders VALUES (900, 9, NULL)');
    const r = await cutover('shop', '--freeze-source', '--yes', '--timeout', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: pair "shop" did not catch up within 2 s: applied up to \S+, the source is at \S+; no running service publishes it/);
    expect(r.stderr).toContain('hint: Start the service');
    await expectUnchanged();
    service = startService(home);
    await waitForPair(home, 'shop', 'streaming', (p) => p.state === 'streaming');
    await caughtUp();
  });

  it('refuses while the pair is in error (status.json)', async () => {
    const crmDst = await target.connect('crm');
    await crmDst.query('DELETE FROM contacts WHERE id = 2');
    await crmDst.end();
    source.sql("UPDATE crm.contacts SET name = 'z' WHERE id = 2;");
    await waitForPair(home, 'crm', 'error', (p) => p.state === 'error');
    const r = await cutover('crm', '--freeze-source', '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: pair "crm" is in error \(TARGET_ROW_MISSING: /);
    expect(await readOnly()).toBe(0);
    expect(pairEnabled('crm')).toBe(true);
  });

  it('cuts over: source read-only, target equal with events enabled, pair disabled', async () => {
    const r = await cutover('shop', '--freeze-source', '--yes');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [[master]] = await db.src!.query('SHOW MASTER STATUS') as unknown as [[{ File: string; Position: number }]];
    const gtid = String((await one(db.src!, 'SELECT @@gtid_binlog_pos AS g'))!.g);
    expect(r.stdout).toContain(`done. final source binlog position: ${master.File}:${master.Position}; GTID: ${gtid}`);
    expect(r.stdout).toContain('step 5: enabled on the target: nightly');
    expect(await readOnly()).toBe(1);
    expect(pairEnabled('shop')).toBe(false);
    expect(pairEnabled('crm')).toBe(true);
    await waitForPair(home, 'shop', 'disabled', (p) => p.state === 'disabled', 5_000);
    expect(await eventStatus()).toBe('ENABLED');
    // disabled on the source, replica-side disabled while synced: the source's status now
    expect(await eventStatus('weekly')).toBe('DISABLED');
    expect(r.stdout).toContain('step 5: disabled on the target, as on the source: weekly');
    expect(JSON.stringify(await dumpDatabase(db.dst!))).toBe(JSON.stringify(await dumpDatabase(db.src!)));
    // read_only really holds for ordinary accounts.
    const app = await source.connect('shop');
    await app.changeUser({ user: 'app', password: 'app', database: 'shop' });
    await expect(app.query('INSERT INTO orders VALUES (1000, 1, NULL)')).rejects.toThrow(/read-only/);
    await app.end();
  });
});
