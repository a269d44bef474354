/**
 * Helpers for the data-engine tests: copy table definitions to the target (until the schema
 * engine runs in these tests), server-side renderings of table contents (never values
 * decoded by the driver under test), and an in-process pair runner.
 */
import type mysql from 'mysql2/promise';
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { configSchema } from '../../src/core/config/schema.js';
import { createLogger, silentLogger } from '../../src/core/log.js';
import { createStatusSink, type StatusSink } from '../../src/core/status.js';
import { runDataStep } from '../../src/core/pair/data-step.js';
import type { PairContext } from '../../src/core/pair/sync-pair.js';
import { findBinary } from './mariadb-server.js';
import type { TestContext } from './context.js';

type Conn = mysql.Connection;

export async function rows<T = Record<string, unknown>>(c: Conn, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await c.query(sql, params);
  return r as T[];
}

/** Create the source's tables on the target with the source's own SHOW CREATE TABLE. */
export async function copyTableDefs(ctx: TestContext, tables: string[]): Promise<void> {
  for (const t of tables) {
    const [row] = await rows<Record<string, string>>(ctx.source, `SHOW CREATE TABLE \`${t}\``);
    await ctx.target.query(`DROP TABLE IF EXISTS \`${t}\``);
    await ctx.target.query(String(row?.['Create Table']));
  }
}

/** Every column rendered by the server: bytes as hex, floats via DOUBLE at full precision. */
export async function dumpTable(c: Conn, db: string, table: string): Promise<string[]> {
  const cols = await rows<{ name: string; type: string }>(c,
    'SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [db, table]);
  const exprs = cols.map(({ name, type }) => {
    const q = `\`${name.replace(/`/g, '``')}\``;
    if (type === 'float' || type === 'double') return `COALESCE(CAST(CAST(${q} AS DOUBLE) AS CHAR), 'NULL')`;
    return `COALESCE(HEX(CAST(${q} AS BINARY)), 'NULL')`;
  });
  await c.query("SET time_zone = '+00:00'");
  const out = await rows<{ r: string }>(c, `SELECT CONCAT_WS('|', ${exprs.join(', ')}) AS r FROM \`${db}\`.\`${table}\``);
  return out.map((x) => x.r).sort();
}

/** Column-level differences (at most 5, values shortened) so a failure is readable. */
export function diffDumps(src: string[], dst: string[]): string[] {
  const out: string[] = [];
  if (src.length !== dst.length) out.push(`row count: source ${src.length}, target ${dst.length}`);
  for (let i = 0; i < Math.max(src.length, dst.length) && out.length < 5; i++) {
    if (src[i] === dst[i]) continue;
    const a = (src[i] ?? '').split('|');
    const b = (dst[i] ?? '').split('|');
    const col = a.findIndex((v, j) => v !== b[j]);
    out.push(`row ${i} (${(a[0] ?? '').slice(0, 20)}) column #${col}: source ${String(a[col]).slice(0, 80)} target ${String(b[col]).slice(0, 80)}`);
  }
  return out;
}

export async function expectTablesEqual(ctx: TestContext, tables: string[]): Promise<void> {
  for (const t of tables) {
    const [src, dst] = [await dumpTable(ctx.source, ctx.sourceDb, t), await dumpTable(ctx.target, ctx.targetDb, t)];
    expect(diffDumps(src, dst), `table ${t}`).toEqual([]);
  }
}

/** Poll until the target equals the source for these tables (continuous streaming). */
export async function waitTablesEqual(ctx: TestContext, tables: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let equal = true;
    for (const t of tables) {
      const [a, b] = await Promise.all([dumpTable(ctx.target, ctx.targetDb, t).catch(() => ['<missing>']), dumpTable(ctx.source, ctx.sourceDb, t)]);
      if (JSON.stringify(a) !== JSON.stringify(b)) { equal = false; break; }
    }
    if (equal) return;
    if (Date.now() > deadline) return expectTablesEqual(ctx, tables);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Wait for a condition with a deadline; on timeout fail naming it and the last state seen. */
export async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000,
  state: () => unknown = () => undefined): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last state: ${JSON.stringify(state())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** mariadb-dump --hex-blob --skip-extended-insert rows of one table (db name stripped). */
export function dumpWithTool(port: number, db: string, table: string): string {
  const out = execFileSync(findBinary(['mariadb-dump', 'mysqldump']), [
    '--no-defaults', '-h127.0.0.1', `-P${port}`, '-uroot', '--hex-blob', '--skip-extended-insert', '--skip-dump-date',
    '--no-create-info', '--compact', '--order-by-primary', '--tz-utc', db, table,
  ], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return out.split('\n').filter((l) => l.startsWith('INSERT')).sort().join('\n');
}

export interface RunningPair {
  status: StatusSink;
  ctx: PairContext;
  stop(): Promise<void>;
  done: Promise<void>;
}

export function pairContextFor(t: TestContext, pair: Record<string, unknown> = {}, settings: Record<string, unknown> = {}): { ctx: PairContext; abort: AbortController } {
  const config = configSchema.parse({
    settings: { retryDelay: 200, maxRetries: 3, ...settings },
    connections: [
      { name: 'src', host: '127.0.0.1', port: t.ports.source, user: 'root', password: '', database: t.sourceDb },
      { name: 'dst', host: '127.0.0.1', port: t.ports.target, user: 'root', password: '', database: t.targetDb },
    ],
    syncPairs: [{ name: 'p', source: 'src', target: 'dst', schema: false, routines: false, ...pair }],
  });
  const abort = new AbortController();
  const p = config.syncPairs[0]!;
  const ctx: PairContext = {
    config, pair: p, source: config.connections[0]!, target: config.connections[1]!,
    // DB_SYNC_TEST_LOG=debug|info: the pair's log on stderr (debugging a test)
    logger: process.env.DB_SYNC_TEST_LOG
      ? createLogger({ level: process.env.DB_SYNC_TEST_LOG as 'info', stderr: true }).child({ db: t.sourceDb })
      : silentLogger(),
    signal: abort.signal, status: createStatusSink('p'),
  };
  return { ctx, abort };
}

/** Run the data step in-process. */
export function startPair(t: TestContext, o: { once?: boolean; pair?: Record<string, unknown>; resnapshot?: boolean; recopy?: string[] } = {}): RunningPair {
  const { ctx, abort } = pairContextFor(t, o.pair);
  const done = runDataStep(ctx, { once: !!o.once, resnapshot: o.resnapshot, recopy: o.recopy });
  done.catch(() => undefined);
  return { status: ctx.status, ctx, done, stop: async () => { abort.abort(); await done; } };
}

/**
 * The `shop` database of the source-protection tests: `items` with `rows` rows to copy (a
 * snapshot long enough to throttle) and `hot`, 10 rows a load keeps updating.
 */
export function shopSchemaSql(rows: number): string {
  return `CREATE TABLE shop.items (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL, n INT NOT NULL);
    INSERT INTO shop.items SELECT seq, CONCAT('v', seq), seq % 1000 FROM seq_1_to_${rows};
    CREATE TABLE shop.hot (id INT PRIMARY KEY, c INT NOT NULL);
    INSERT INTO shop.hot SELECT seq, 0 FROM seq_1_to_10;`;
}
