/**
 * The one-command demo: two throwaway MariaDB servers (source with binlog), a sample shop
 * database on the source, a temporary DB_SYNC_HOME with the connections and one pair, the
 * service running as a child process, and a small write load. `stop()` undoes all of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigStore, resolvePaths } from '../core/config/store.js';
import { openConnection, type Db } from '../core/db/connection.js';
import { quoteId } from '../core/db/quote.js';
import { CLI_COMMAND } from '../daemon/control.js';
import { readStatusFile } from '../daemon/status-file.js';
import { rootConnectionConfig, startServer, type LocalServer } from './mariadb-launcher.js';
import { DEMO_DB, SAMPLE_SCHEMA, sampleData } from './sample-data.js';
import { sleep } from '../core/sleep.js';


export interface DemoHandle {
  home: string;
  store: ConfigStore;
  source: LocalServer;
  target: LocalServer;
  /** Write transactions committed on the source so far. */
  writes(): number;
  /** Stop writing (then wait a moment and compare). */
  stopLoad(): Promise<void>;
  /** Row counts per table on source and target (to show they are equal). */
  compare(): Promise<Array<{ table: string; source: number; target: number }>>;
  stop(): Promise<void>;
}

export interface DemoOptions {
  /** Write transactions per second on the source. */
  writesPerSec?: number;
  /** Progress lines (server start-up etc.). */
  say?: (line: string) => void;
}

function writeConfig(home: string, source: LocalServer, target: LocalServer): ConfigStore {
  const store = new ConfigStore(resolvePaths({ DB_SYNC_HOME: home }));
  store.save(store.load());
  store.update((c) => {
    c.settings.retryDelay = 1000;
    c.settings.schemaCheckInterval = 10_000;
    c.connections.push(
      { ...rootConnectionConfig(source.port, DEMO_DB), name: 'demo-source' },
      { ...rootConnectionConfig(target.port, DEMO_DB), name: 'demo-target' },
    );
    c.syncPairs.push({ name: 'demo', source: 'demo-source', target: 'demo-target' } as (typeof c.syncPairs)[number]);
  });
  return store;
}

async function waitUntilUp(store: ConfigStore, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`the service exited with code ${child.exitCode}; see ${store.paths.logDir}`);
    }
    const doc = readStatusFile(store.paths.statusFile);
    if (doc && doc.service.pid === child.pid && doc.service.running) return;
    await sleep(100);
  }
  throw new Error(`the service did not come up within ${timeoutMs / 1000} s; see ${store.paths.logDir}`);
}

/** One small order transaction: new order with lines, stock moves, sometimes a status change. */
async function writeOnce(db: Db, n: number): Promise<void> {
  await db.transaction(async (tx) => {
    const { insertId: orderId } = await tx.exec('INSERT INTO orders (customer_id, status) VALUES (?, ?)',
      [1 + (n % 200), 'new']);
    const product = 1 + (n % 50);
    await tx.exec('INSERT INTO order_lines (order_id, line_no, product_id, quantity, price) '
      + 'VALUES (?, 1, ?, ?, (SELECT price FROM products WHERE id = ?))', [orderId, product, 1 + (n % 3), product]);
    await tx.exec('UPDATE products SET stock = stock - 1 WHERE id = ?', [product]);
    await tx.exec('UPDATE orders SET total = (SELECT SUM(quantity * price) FROM order_lines WHERE order_id = ?) '
      + 'WHERE id = ?', [orderId, orderId]);
    if (n % 5 === 0) await tx.exec("UPDATE orders SET status = 'paid' WHERE id = ?", [Math.max(1, orderId - 3)]);
  });
}

export async function startDemo(options: DemoOptions = {}): Promise<DemoHandle> {
  const say = options.say ?? (() => undefined);
  const home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-demo-'));
  say('starting two throwaway MariaDB servers (source with binlog, target) ...');
  const [source, target] = await Promise.all([
    startServer({ binlog: true, serverId: 1, label: 'demo-source', ownProcessGroup: true }),
    startServer({ binlog: false, serverId: 2, label: 'demo-target', ownProcessGroup: true }),
  ]);
  try {
    return await runWith(home, source, target, options.writesPerSec ?? 20, say);
  } catch (err) {
    await Promise.all([source.stop(), target.stop()]);
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
}

async function runWith(home: string, source: LocalServer, target: LocalServer, writesPerSec: number,
  say: (line: string) => void): Promise<DemoHandle> {
  say(`source on 127.0.0.1:${source.port}, target on 127.0.0.1:${target.port}; `
    + `loading the sample "${DEMO_DB}" database ...`);
  source.sql(`CREATE DATABASE ${DEMO_DB};`);
  target.sql(`CREATE DATABASE ${DEMO_DB};`);
  source.sql(`${SAMPLE_SCHEMA}\n${sampleData()}`, DEMO_DB);
  const store = writeConfig(home, source, target);
  say(`config in ${home}; starting the service ...`);
  const child = await startServiceChild(store, home);
  const load = await startLoad(source.port, writesPerSec);
  return {
    home, store, source, target,
    writes: load.writes,
    stopLoad: load.stop,
    compare: () => compareCounts(source.port, target.port),
    async stop() {
      await load.stop();
      await stopChild(child);
      await Promise.all([source.stop(), target.stop()]);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function startServiceChild(store: ConfigStore, home: string): Promise<ChildProcess> {
  // Own process group: Ctrl-C in the terminal reaches only the demo, which stops the service
  // after the final comparison (a second signal would force it).
  const child = spawn(process.execPath, [...CLI_COMMAND, 'service', 'start'], {
    env: { ...process.env, DB_SYNC_HOME: home }, stdio: 'ignore', detached: true,
  });
  try {
    await waitUntilUp(store, child);
    return child;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** `writesPerSec` order transactions per second on the source, one at a time. */
async function startLoad(port: number,
  writesPerSec: number): Promise<{ writes: () => number; stop: () => Promise<void> }> {
  const db = await openConnection(rootConnectionConfig(port, DEMO_DB));
  let writes = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    // A failed write was rolled back (transaction()); the demo load just goes on with the next one.
    writeOnce(db, writes + 1).then(() => { writes += 1; }, () => undefined).finally(() => { busy = false; });
  }, Math.max(5, Math.round(1000 / writesPerSec)));
  return {
    writes: () => writes,
    async stop() {
      clearInterval(timer);
      while (busy) await sleep(20);
      await db?.close();
    },
  };
}

async function compareCounts(sourcePort: number,
  targetPort: number): Promise<Array<{ table: string; source: number; target: number }>> {
  const count = async (conn: Db, table: string) => {
    // a table not there yet (the copy is still running) counts as -1
    const rows = await conn.rows<{ n: string }>(`SELECT COUNT(*) AS n FROM ${quoteId(table)}`)
      .catch(() => [{ n: '-1' }]);
    return Number(rows[0]?.n ?? -1);
  };
  const sdb = await openConnection(rootConnectionConfig(sourcePort, DEMO_DB));
  const tdb = await openConnection(rootConnectionConfig(targetPort, DEMO_DB));
  try {
    const out = [];
    for (const table of ['customers', 'products', 'orders', 'order_lines']) {
      out.push({ table, source: await count(sdb, table), target: await count(tdb, table) });
    }
    return out;
  } finally {
    await Promise.all([sdb?.close(), tdb?.close()]);
  }
}
