/**
 * Benchmark (not a test): `npx tsx bench/verify-bench.ts [rows]`.
 * 1. verify throughput on a table of N rows (default 1,000,000) with one planted difference,
 *    beside `pt-table-sync --print` between the same two servers, in one run.
 * 2. poll-cycle source load on the idle N-row table: queries and rows read per cycle,
 *    from the source server's own counters (SHOW GLOBAL STATUS deltas).
 * Starts two throwaway MariaDB servers; prints a JSON summary at the end.
 */
import { spawnSync } from 'node:child_process';
import { configSchema } from '../src/core/config/schema.js';
import { silentLogger } from '../src/core/log.js';
import { createStatusSink } from '../src/core/status.js';
import { pairContext } from '../src/core/pair/sync-pair.js';
import { runPolling } from '../src/core/poll/poll-runner.js';
import { verifyPair } from '../src/core/verify/verify-pair.js';
import { startServer, type TestServer } from '../test/helpers/mariadb-server.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const DB = 'bench';
const PLANTED = Math.floor(ROWS * 0.777) + 1;
const DDL = `CREATE TABLE t (id INT UNSIGNED NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT NOT NULL, price DECIMAL(12,2) NOT NULL,
  note VARCHAR(60) NULL, updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, KEY (updated_at)) ENGINE=InnoDB`;
const FILL = `INSERT INTO t SELECT seq, CONCAT('name-', seq), seq % 1000, seq / 7, IF(seq % 5 = 0, NULL, CONCAT('note ', seq)),
  FROM_UNIXTIME(1600000000 + seq) FROM seq_1_to_${ROWS}`;

async function setup(server: TestServer): Promise<void> {
  const db = await server.connect();
  await db.query(`CREATE DATABASE ${DB}`);
  await db.query(`USE ${DB}`);
  await db.query(DDL);
  await db.query(FILL);
  await db.end();
}

async function status(server: TestServer): Promise<Record<string, number>> {
  const db = await server.connect();
  const [rows] = (await db.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select', 'Rows_read', 'Rows_sent', 'Handler_read_next', 'Handler_read_key', 'Handler_read_first', 'Handler_read_rnd_next')")) as unknown as [Array<{ Variable_name: string; Value: string }>];
  await db.end();
  return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
}

const delta = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.keys(b).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]));

function config(src: TestServer, dst: TestServer, pollInterval = 200) {
  return configSchema.parse({
    settings: { pollInterval },
    connections: [
      { name: 'src', host: '127.0.0.1', port: src.port, user: 'root', password: '', database: DB },
      { name: 'dst', host: '127.0.0.1', port: dst.port, user: 'root', password: '', database: DB },
    ],
    syncPairs: [{ name: 'p', source: 'src', target: 'dst', mode: 'poll', reconcileInterval: 86_400_000 }],
  });
}

async function benchVerify(src: TestServer, dst: TestServer, chunkTimeMs = 500, hash: 'auto' | 'md5' = 'auto') {
  const cfg = config(src, dst);
  const ctx = pairContext(cfg, 'p', { logger: silentLogger(), signal: new AbortController().signal, status: createStatusSink('p') });
  const before = await status(src);
  const started = Date.now();
  const report = await verifyPair(ctx, { repair: false, sleepRatio: 0, maxExamples: 10, recheckDelays: [], chunkTimeMs, hash, logger: silentLogger() });
  const ms = Date.now() - started;
  const t = report.tables[0]!;
  return { seconds: ms / 1000, rowsPerSec: Math.round(ROWS / (ms / 1000)), rowsTransferred: t.rowsTransferred, chunks: t.chunks,
    found: { missing: t.missing, extra: t.extra, different: t.different, examples: t.examples }, sourceCounters: delta(before, await status(src)) };
}

function benchPtTableSync(src: TestServer, dst: TestServer) {
  const started = Date.now();
  // Exit code 2 means "differences found"; only the printed statements matter here.
  const res = spawnSync('pt-table-sync', ['--print', `h=127.0.0.1,P=${src.port},u=root,D=${DB},t=t`, `h=127.0.0.1,P=${dst.port},u=root,D=${DB},t=t`],
    { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (res.status !== 0 && res.status !== 2) throw new Error(`pt-table-sync failed (${res.status}): ${res.stderr}`);
  const out = res.stdout;
  const ms = Date.now() - started;
  const statements = out.split('\n').filter((l) => /^(REPLACE|INSERT|DELETE|UPDATE)/.test(l));
  return { seconds: ms / 1000, rowsPerSec: Math.round(ROWS / (ms / 1000)), statements: statements.length, sample: statements.slice(0, 3).map((s) => s.slice(0, 160)) };
}

async function benchPollIdle(src: TestServer, dst: TestServer) {
  const cfg = config(src, dst, 200);
  const ac = new AbortController();
  const ctx = pairContext(cfg, 'p', { logger: silentLogger(), signal: ac.signal, status: createStatusSink('p') });
  const started = Date.now();
  const run = runPolling(ctx, { once: false });
  // Wait for the initial reconciliation (tables already equal: a verify pass) and the overlap window (5 s).
  await new Promise((r) => setTimeout(r, 8000));
  let cycles = 0;
  const sink = ctx.status;
  const orig = sink.update.bind(sink);
  sink.update = (patch) => { if (patch.lagMs !== undefined) cycles += 1; orig(patch); };
  const before = await status(src);
  await new Promise((r) => setTimeout(r, 5000));
  const after = await status(src);
  const n = cycles;
  ac.abort();
  await run;
  const d = delta(before, after);
  // Two SHOW GLOBAL STATUS queries of our own are in the counters.
  return { cycles: n, perCycle: Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Number(((k === 'Questions' || k === 'Com_select' ? v - 1 : v) / Math.max(1, n)).toFixed(2))])), totalSeconds: (Date.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const src = await startServer({ binlog: false, serverId: 11, label: 'bench-src' });
  const dst = await startServer({ binlog: false, serverId: 12, label: 'bench-dst' });
  try {
    console.error(`filling ${ROWS} rows on both servers...`);
    await Promise.all([setup(src), setup(dst)]);
    const t = await dst.connect(DB);
    await t.query("UPDATE t SET note = 'planted' WHERE id = ?", [PLANTED]);
    await t.end();
    console.error('db-sync verify...');
    if (process.env.CHUNK_SWEEP) {
      for (const ms of [100, 250, 500, 1000]) console.error(ms, JSON.stringify((await benchVerify(src, dst, ms))).slice(0, 120));
    }
    // Warm both buffer pools so neither tool pays for the other's cold start.
    for (const server of [src, dst]) {
      const db = await server.connect(DB);
      await db.query('SELECT SUM(LENGTH(name) + LENGTH(note)) FROM t');
      await db.end();
    }
    const ours = await benchVerify(src, dst);
    console.error('pt-table-sync --print...');
    const pt = benchPtTableSync(src, dst);
    const ptAgain = benchPtTableSync(src, dst);
    const oursAgain = await benchVerify(src, dst);
    const oursMd5 = await benchVerify(src, dst, 500, 'md5');
    console.error('poll cycles on the idle table...');
    const poll = await benchPollIdle(src, dst);
    console.log(JSON.stringify({ rows: ROWS, planted: PLANTED, dbSyncVerify: ours, ptTableSync: pt, secondRuns: { dbSyncSeconds: oursAgain.seconds, ptTableSyncSeconds: ptAgain.seconds, dbSyncMd5Seconds: oursMd5.seconds, md5Found: oursMd5.found.different }, pollIdle: poll }, null, 2));
  } finally {
    await src.stop();
    await dst.stop();
  }
}

await main();
