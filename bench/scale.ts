/**
 * Benchmark (not a test): `npm run bench:scale` (issue 12 item 4: many pairs per source).
 * One service (`db-sync service start --daemon`, DB_SYNC_HOME in a temp dir) runs PAIRS pairs
 * (BENCH_SCALE_PAIRS, 50) from ONE source MariaDB server (binlog on) to ONE target server, each
 * pair one database with TABLES tables (BENCH_SCALE_TABLES, 40) of ROWS rows
 * (BENCH_SCALE_ROWS, 100), plus one "victim" pair whose target is a second target server.
 * Per run (fresh servers and home each time):
 * 1. start-up: `service start --daemon` until every pair is `streaming` (status file, the
 *    document `status --json` prints); the first schema check of each pair (its
 *    `lastSchemaCheck` minus the service's start); binlog dump connections on the source.
 * 2. load A (after WARMUP s of the same load, BENCH_SCALE_WARMUP, 5, unmeasured): RATE single-row autocommit INSERT/UPDATE transactions per second (BENCH_SCALE_RATE,
 *    500) from 4 paced connections, round robin over all source databases (the victim's too),
 *    for SECONDS (BENCH_SCALE_SECONDS, 30), plus a lag probe: PROBE_RATE single-row INSERTs/s
 *    (BENCH_SCALE_PROBE_RATE, 50) into the first pair's `lagt`. Lag per probe row = first moment
 *    `MAX(id)` on the target covered it - its source NOW(6) (same clock; as bench/run.ts).
 * 3. load B: the victim's target server stopped (BENCH_SCALE_VICTIM=stop, default) or its writes
 *    hanging on a global read lock (=lock), the same load and probe; then the server is started
 *    again (the lock released) and the victim's recovery timed.
 * 4. every pair's tables compared by `CHECKSUM TABLE` on source and target (waiting up to 3 min).
 * RSS of the service process: VmRSS sampled every 250 ms (steady = median while idle after
 * start-up and during each load), peak = VmHWM. CPU of the service and of the source's mariadbd
 * over each load (/proc/PID/stat), in cores. Applied row changes/s = the pairs' summed
 * `totals.rows` (status) over the load window.
 * Modes (BENCH_SCALE_MODES, `shared`, the product's default; `own,shared`): setting sharedReader=true|false. Each of
 * BENCH_SCALE_ROUNDS rounds (1) runs every mode once. Prints a table, writes bench/scale-results.json.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { startServer, type TestServer } from '../test/helpers/mariadb-server.js';
import { cpuSec, q, watchTarget } from './common.js';
import { NODE_FLAGS } from '../src/core/node-flags.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
/** BENCH_SCALE_CLI: another build's dist/cli/main.js (a comparison). */
const CLI = process.env.BENCH_SCALE_CLI ?? path.join(ROOT, 'dist/cli/main.js');
const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const PAIRS = num('BENCH_SCALE_PAIRS', 50);
const TABLES = num('BENCH_SCALE_TABLES', 40);
const ROWS = num('BENCH_SCALE_ROWS', 100);
const RATE = num('BENCH_SCALE_RATE', 500);
const SECONDS = num('BENCH_SCALE_SECONDS', 30);
const PROBE_RATE = num('BENCH_SCALE_PROBE_RATE', 50);
const ROUNDS = num('BENCH_SCALE_ROUNDS', 1);
const STARTUP_TIMEOUT_S = num('BENCH_SCALE_STARTUP_TIMEOUT', 1200);
const MODES = (process.env.BENCH_SCALE_MODES ?? 'shared').split(',').map((m) => m.trim()).filter(Boolean) as Mode[];
/** The same load first, unmeasured (a running service, not cold code; bench/lag-report.ts does the same). */
const WARMUP_SECONDS = num('BENCH_SCALE_WARMUP', 5);
/** How the victim's target fails in load B: `stop` (the server stopped) or `lock` (FLUSH TABLES WITH READ LOCK: writes hang). */
const VICTIM = process.env.BENCH_SCALE_VICTIM ?? 'stop';
const WRITERS = 4;

type Mode = 'own' | 'shared';
interface PairStatusLite {
  name: string; state: string; lagMs: number | null; caughtUp: boolean | null; lastSchemaCheck: string | null;
  totals: { events: number; rows: number; transactions: number }; errorsTotal: number; backlog: { events: number; bytes: number } | null;
  /** Builds with the shared reader: 'own' or 'shared' per streaming binlog pair. */
  binlogReader?: 'own' | 'shared' | null; position: { file?: string; pos?: number } | null; lastError: { code: string; message: string } | null;
}
interface StatusDoc { service: { pid: number; startedAt: string; running: boolean }; pairs: PairStatusLite[] }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();
const pad3 = (i: number) => String(i).padStart(3, '0');
const tname = (j: number) => `t${String(j).padStart(2, '0')}`;
const srcDbs = () => [...Array.from({ length: PAIRS }, (_, i) => `s${pad3(i)}`), 'svictim'];
const pairOf = (db: string) => (db === 'svictim' ? 'victim' : `p${db.slice(1)}`);
const round1 = (x: number) => Math.round(x * 10) / 10;
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);

function log(msg: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

async function cli(home: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run(process.execPath, [...NODE_FLAGS, CLI, ...args], { env: { ...process.env, DB_SYNC_HOME: home }, timeout: timeoutMs, maxBuffer: 1 << 26 });
  return stdout;
}

function readStatus(home: string): StatusDoc | null {
  try {
    return JSON.parse(readFileSync(path.join(home, 'status.json'), 'utf8')) as StatusDoc;
  } catch {
    return null; // not published yet
  }
}

/** The source databases with their tables and rows, the first one's probe table, and empty target databases. */
function createData(src: TestServer, dst: TestServer, dst2: TestServer): void {
  const table = (j: number) => `CREATE TABLE ${tname(j)} (id INT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, v VARCHAR(64) NOT NULL,`
    + ` ts DATETIME(6) NOT NULL, KEY (k)); INSERT INTO ${tname(j)} (k, v, ts) SELECT seq % 97, MD5(seq), NOW(6) FROM seq_1_to_${ROWS};`;
  const perDb = Array.from({ length: TABLES }, (_, j) => table(j)).join('\n');
  for (const db of srcDbs()) {
    const probe = db === 's000' ? 'CREATE TABLE lagt (id BIGINT AUTO_INCREMENT PRIMARY KEY, ts_src DATETIME(6) NOT NULL, pad VARCHAR(40));' : '';
    q(src, `CREATE DATABASE ${db}; USE ${db}; ${perDb} ${probe}`);
  }
  q(dst, srcDbs().filter((d) => d !== 'svictim').map((d) => `CREATE DATABASE ${d};`).join('\n'));
  q(dst2, 'CREATE DATABASE svictim');
}

function writeConfig(home: string, src: TestServer, dst: TestServer, dst2: TestServer): void {
  const conn = (name: string, port: number, database: string) => ({ name, host: '127.0.0.1', port, user: 'root', password: '', database });
  const dbs = srcDbs();
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({
    version: 1, settings: { logLevel: 'info' },
    connections: dbs.flatMap((d) => [conn(`src-${d}`, src.port, d), conn(`dst-${d}`, d === 'svictim' ? dst2.port : dst.port, d)]),
    syncPairs: dbs.map((d) => ({ name: pairOf(d), source: `src-${d}`, target: `dst-${d}` })),
  }, null, 2));
}

/** `settings set sharedReader=...`; an `own` run on a build without the setting is that build's only behaviour. */
async function setMode(home: string, mode: Mode): Promise<string> {
  try {
    await cli(home, ['settings', 'set', `sharedReader=${mode === 'shared'}`]);
  } catch (err) {
    if (mode === 'shared') throw new Error(`this build has no sharedReader setting: ${String((err as { stderr?: string }).stderr ?? err)}`);
    return 'setting unknown to this build (own reader per pair is its only behaviour)';
  }
  const shown = JSON.parse(await cli(home, ['settings', 'show', '--json'])) as Record<string, unknown>;
  const value = shown.sharedReader;
  if (String(value) !== String(mode === 'shared')) throw new Error(`settings show --json has sharedReader=${String(value)} after setting ${mode}`);
  return `sharedReader=${String(value)}`;
}

/** VmRSS every 250 ms and VmHWM of the service process. */
function rssSampler(pid: number) {
  const samples: Array<[number, number]> = [];
  let hwm = 0;
  const read = () => {
    try {
      const s = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rss = /VmRSS:\s+(\d+) kB/.exec(s);
      const h = /VmHWM:\s+(\d+) kB/.exec(s);
      if (rss) samples.push([now(), Number(rss[1]) / 1024]);
      if (h) hwm = Math.max(hwm, Number(h[1]) / 1024);
    } catch { /* exited */ }
  };
  read();
  const timer = setInterval(read, 250);
  return {
    between: (from: number, to: number) => samples.filter(([t]) => t >= from && t <= to).map(([, v]) => v),
    peak: () => { read(); return hwm; },
    stop: () => clearInterval(timer),
  };
}

/** How many pairs read on the shared reader / on their own (status binlogReader), e.g. "50 shared, 1 own". */
function readers(home: string): string {
  const count = new Map<string, number>();
  for (const p of readStatus(home)?.pairs ?? []) {
    const k = p.binlogReader === undefined ? 'not reported' : String(p.binlogReader);
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  return [...count].map(([k, n]) => `${n} ${k}`).join(', ');
}

async function binlogDumps(src: TestServer): Promise<number> {
  return Number(q(src, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'"));
}

/** RATE single-row autocommit transactions/s (INSERT or UPDATE) round robin over the source databases. */
async function load(src: TestServer, seconds: number): Promise<{ sent: number; rate: number }> {
  const conns = await Promise.all(Array.from({ length: WRITERS }, () => mysql.createConnection({ host: '127.0.0.1', port: src.port, user: 'root' })));
  const dbs = srcDbs();
  const per = RATE / WRITERS;
  const start = Date.now();
  let sent = 0;
  await Promise.all(conns.map(async (c, w) => {
    for (let i = 0; Date.now() < start + seconds * 1000; i++) {
      const due = start + (i * 1000) / per;
      if (due > Date.now()) await sleep(due - Date.now());
      const n = i * WRITERS + w;
      const t = `${dbs[n % dbs.length]}.${tname(Math.floor(Math.random() * TABLES))}`;
      await c.query(n % 2 === 0
        ? `INSERT INTO ${t} (k, v, ts) VALUES (${n % 97}, MD5(${n}), NOW(6))`
        : `UPDATE ${t} SET k = k + 1, ts = NOW(6) WHERE id = ${1 + Math.floor(Math.random() * ROWS)}`);
      sent++;
    }
  }));
  await Promise.all(conns.map((c) => c.end()));
  return { sent, rate: sent / ((Date.now() - start) / 1000) };
}

/** One single-row UPDATE per table of every source database at RATE/s (each pair's first change to each table). */
async function touchEveryTable(src: TestServer): Promise<{ sent: number; sec: number }> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: src.port, user: 'root' });
  const all = srcDbs().flatMap((d) => Array.from({ length: TABLES }, (_, j) => `${d}.${tname(j)}`));
  const start = Date.now();
  for (let i = 0; i < all.length; i++) {
    const due = start + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    await c.query(`UPDATE ${all[i]} SET k = k + 1, ts = NOW(6) WHERE id = 1`);
  }
  await c.end();
  return { sent: all.length, sec: round1((Date.now() - start) / 1000) };
}

/** PROBE_RATE single-row INSERTs/s into s000.lagt while `until()` is false. */
async function probe(src: TestServer, until: () => boolean): Promise<void> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: src.port, user: 'root', database: 's000' });
  const start = Date.now();
  for (let i = 0; !until(); i++) {
    const due = start + (i * 1000) / PROBE_RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    await c.query("INSERT INTO lagt (ts_src, pad) VALUES (NOW(6), 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')");
  }
  await c.end();
}

/** Lag of the probe rows with id in (fromId, toId]: when the target first covered each - its source NOW(6). */
function lagStats(src: TestServer, seen: Array<[number, number]>, fromId: number, toId: number) {
  const rows = q(src, `SELECT id, UNIX_TIMESTAMP(ts_src) FROM s000.lagt WHERE id > ${fromId} AND id <= ${toId} ORDER BY id`)
    .split('\n').filter(Boolean).map((l) => l.split('\t').map(Number) as [number, number]);
  const vals: number[] = [];
  let j = 0;
  for (const [id, ts] of rows) {
    while (j < seen.length && seen[j]![0] < id) j++;
    if (j < seen.length) vals.push(seen[j]![1] - ts * 1000);
  }
  vals.sort((a, b) => a - b);
  if (process.env.BENCH_SCALE_DEBUG) log(`lag raw: min ${vals[0]} median ${vals[vals.length >> 1]} max ${vals[vals.length - 1]}; seen ${JSON.stringify(seen.slice(0, 3))} rows ${JSON.stringify(rows.slice(0, 3))} from ${fromId} to ${toId}`);
  const pct = (p: number) => +Math.max(0, vals[Math.min(vals.length - 1, Math.floor((p / 100) * vals.length))] ?? NaN).toFixed(1);
  return { probes: rows.length, seen: vals.length, p50Ms: pct(50), p99Ms: pct(99), maxMs: pct(100) };
}

const maxProbeId = (s: TestServer) => Number(q(s, 'SELECT COALESCE(MAX(id), 0) FROM s000.lagt'));
/**
 * Row changes the pairs applied between two status documents. A pair's totals start again from 0
 * when its stream restarts (an error, a retry): then only what it applied since counts.
 */
function rowsApplied(before: StatusDoc | null, after: StatusDoc | null): number {
  const was = new Map((before?.pairs ?? []).map((p) => [p.name, p.totals?.rows ?? 0]));
  return (after?.pairs ?? []).reduce((a, p) => {
    const r = p.totals?.rows ?? 0;
    const r0 = was.get(p.name) ?? 0;
    return a + (r >= r0 ? r - r0 : r);
  }, 0);
}

/** Failures of the pairs between two status documents (errorsTotal), with the codes of their last errors. */
function failures(before: StatusDoc | null, after: StatusDoc | null): { count: number; pairs: number; codes: string[] } {
  const was = new Map((before?.pairs ?? []).map((p) => [p.name, p.errorsTotal ?? 0]));
  let count = 0;
  let pairs = 0;
  const codes = new Set<string>();
  for (const p of after?.pairs ?? []) {
    const d = (p.errorsTotal ?? 0) - (was.get(p.name) ?? 0);
    if (d <= 0) continue;
    count += d;
    pairs++;
    if (p.lastError) codes.add(p.lastError.code);
  }
  return { count, pairs, codes: [...codes] };
}

async function waitFor(what: string, timeoutMs: number, cond: () => boolean | Promise<boolean>, everyMs = 250): Promise<number> {
  const t0 = now();
  while (now() - t0 < timeoutMs) {
    if (await cond()) return (now() - t0) / 1000;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

/** The source's binlog end (file, pos). */
function masterPos(src: TestServer): { file: string; pos: number } {
  const [file, pos] = q(src, 'SHOW MASTER STATUS').split('\t');
  return { file: file!, pos: Number(pos) };
}

/**
 * Seconds until every named pair has applied up to the source's binlog end as it is now (its
 * status `position`, which also moves over other databases' transactions; published every
 * second); null when that does not happen within 10 minutes. The status's caughtUp is not
 * enough: it counts only what the pair's reader has received (a reader behind the source is not
 * seen), and it waits for 2 s without events.
 */
async function caughtUp(src: TestServer, home: string, names: string[]): Promise<number | null> {
  const end = masterPos(src);
  try {
    return round1(await waitFor(`${names.length} pairs at ${end.file}:${end.pos}`, 600_000, () => {
      const byName = new Map((readStatus(home)?.pairs ?? []).map((p) => [p.name, p]));
      return names.every((n) => {
        const p = byName.get(n);
        const at = p?.position;
        return !!at?.file && (at.file > end.file || (at.file === end.file && (at.pos ?? 0) >= end.pos));
      });
    }));
  } catch (err) {
    log(String(err));
    return null;
  }
}

/** One load phase: the load, the probe, the watcher; RSS and applied rows over the window. */
async function loadPhase(src: TestServer, dst: TestServer, home: string, rss: ReturnType<typeof rssSampler>, healthy: string[], pid: number) {
  const fromId = maxProbeId(src);
  const watcher = await watchTarget(dst, 's000', 2); // the probe rows of s000.lagt
  const doc0 = readStatus(home);
  const cpu0 = [cpuSec(pid), cpuSec(src.pid)];
  const t0 = now();
  let done = false;
  const probing = probe(src, () => done);
  const w = await load(src, SECONDS);
  done = true;
  await probing;
  const t1 = now();
  const cpu1 = [cpuSec(pid), cpuSec(src.pid)];
  const cores = (i: number) => Math.round(((cpu1[i]! - cpu0[i]!) / ((t1 - t0) / 1000)) * 100) / 100;
  const doc1 = readStatus(home);
  const toId = maxProbeId(src);
  const caughtUpSec = await caughtUp(src, home, healthy);
  // failures of the healthy pairs from the load's start until they caught up
  const failed = failures(doc0, readStatus(home));
  // the watcher sees the last probe row before it stops
  await waitFor('the last probe row on the target', 600_000, () => maxProbeId(dst) >= toId, 100).catch((err) => log(String(err)));
  const seen = await watcher.stop();
  const lag = lagStats(src, seen, fromId, toId);
  const steady = rss.between(t0, t1);
  return {
    txnSent: w.sent, txnPerSec: Math.round(w.rate), appliedRowsPerSec: Math.round(rowsApplied(doc0, doc1) / ((t1 - t0) / 1000)),
    caughtUpSec: caughtUpSec === null ? null : round1(caughtUpSec), lag,
    failures: failed, serviceCpuCores: cores(0), sourceServerCpuCores: cores(1), rssMedianMb: Math.round(median(steady)), rssMaxMb: Math.round(Math.max(...steady)),
  };
}

/** CHECKSUM TABLE of every pair's tables on source and target: the pairs that differ (or cannot be read). */
function differingPairs(src: TestServer, dst: TestServer, dst2: TestServer): string[] {
  const tables = (db: string) => [...Array.from({ length: TABLES }, (_, j) => `${db}.${tname(j)}`), ...(db === 's000' ? ['s000.lagt'] : [])];
  const sums = (s: TestServer, dbs: string[]) => {
    const out = new Map<string, string>();
    for (let i = 0; i < dbs.length; i += 10) {
      const text = q(s, `CHECKSUM TABLE ${dbs.slice(i, i + 10).flatMap(tables).join(', ')}`);
      for (const line of text.split('\n')) { const [t, c] = line.split('\t'); if (t) out.set(t, c ?? ''); }
    }
    return out;
  };
  const dbs = srcDbs();
  const want = sums(src, dbs);
  let got: Map<string, string>;
  try {
    got = new Map([...sums(dst, dbs.filter((d) => d !== 'svictim')), ...sums(dst2, ['svictim'])]);
  } catch {
    return ['(target not readable)'];
  }
  return dbs.filter((d) => tables(d).some((t) => !want.get(t) || want.get(t) === 'NULL' || want.get(t) !== got.get(t))).map(pairOf);
}

async function oneRun(mode: Mode, round: number) {
  log(`round ${round} mode ${mode}: starting servers`);
  // (each server has a private tmpdir beside its datadir: src/demo/mariadb-launcher.ts)
  const [src, dst, dst2] = await Promise.all([
    startServer({ binlog: true, serverId: 1, label: 'scale-src', extraArgs: ['--max-connections=1000'] }),
    startServer({ binlog: false, serverId: 2, label: 'scale-dst', extraArgs: ['--max-connections=1000'] }),
    startServer({ binlog: false, serverId: 3, label: 'scale-victim' }),
  ]);
  const home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-scale-home-'));
  let rss: ReturnType<typeof rssSampler> | undefined;
  let started = false;
  try {
    const tData = now();
    createData(src, dst, dst2);
    const dataSec = round1((now() - tData) / 1000);
    log(`created ${PAIRS + 1} x ${TABLES} tables x ${ROWS} rows in ${dataSec} s`);
    writeConfig(home, src, dst, dst2);
    const modeNote = await setMode(home, mode);
    const names = [...srcDbs().map(pairOf)];
    const healthy = names.filter((n) => n !== 'victim');

    // 1. start-up
    const t0 = now();
    await cli(home, ['service', 'start', '--daemon']);
    started = true;
    const upSec = (now() - t0) / 1000;
    const doc0 = readStatus(home);
    if (!doc0) throw new Error('no status file after service start --daemon');
    const pid = doc0.service.pid;
    rss = rssSampler(pid);
    const firstStreaming = new Map<string, number>();
    const firstSchemaCheck = new Map<string, string>();
    let lastLine = 0;
    await waitFor('every pair streaming', STARTUP_TIMEOUT_S * 1000, () => {
      const doc = readStatus(home);
      for (const p of doc?.pairs ?? []) {
        if (p.state === 'streaming' && !firstStreaming.has(p.name)) firstStreaming.set(p.name, (now() - t0) / 1000);
        if (p.lastSchemaCheck && !firstSchemaCheck.has(p.name)) firstSchemaCheck.set(p.name, p.lastSchemaCheck);
      }
      if (now() - lastLine > 15_000 && doc) {
        lastLine = now();
        const states = new Map<string, number>();
        for (const p of doc.pairs) states.set(p.state, (states.get(p.state) ?? 0) + 1);
        log(`start-up ${Math.round((now() - t0) / 1000)} s: ${[...states].map(([s, n]) => `${n} ${s}`).join(', ')}; RSS ${Math.round(rss!.between(now() - 1000, now()).at(-1) ?? 0)} MB`);
        for (const p of doc.pairs) if (p.lastError && p.state !== 'streaming') log(`  ${p.name} ${p.state}: ${p.lastError.code} ${p.lastError.message.slice(0, 160)}`);
      }
      return names.every((n) => firstStreaming.has(n));
    });
    const allStreamingSec = round1((now() - t0) / 1000);
    const doc1 = readStatus(home)!;
    const startedAt = Date.parse(doc1.service.startedAt);
    // each pair's first schema check (introspect both sides, create the tables): its end, from the service's start
    const schemaDone = [...firstSchemaCheck.values()].map((at) => (Date.parse(at) - startedAt) / 1000);
    // the JSON `status --json` prints, once, as the check that the CLI sees every pair streaming
    const statusCli = JSON.parse(await cli(home, ['status', '--json'])) as StatusDoc;
    const streamingCli = statusCli.pairs.filter((p) => p.state === 'streaming').length;
    const dumpsStreaming = await binlogDumps(src);
    const readersStreaming = readers(home);
    log(`all ${names.length} pairs streaming after ${allStreamingSec} s (service up in ${round1(upSec)} s); status --json: ${streamingCli} streaming; binlog dumps ${dumpsStreaming}`);

    // steady RSS while idle
    const tIdle = now();
    await sleep(5000);
    const idle = rss.between(tIdle, now());

    const dumpsIdle = await binlogDumps(src);
    // 2. load with all targets up (after an unmeasured warm-up)
    const touch = await touchEveryTable(src);
    const touchCaughtUpSec = await caughtUp(src, home, names);
    log(`first change to each table: ${touch.sent} single-row UPDATEs in ${touch.sec} s, every pair caught up ${touchCaughtUpSec} s after the last`);
    if (WARMUP_SECONDS > 0) {
      await load(src, WARMUP_SECONDS);
      log(`warm-up: every pair caught up ${await caughtUp(src, home, names)} s after it`);
    }
    const dumpsBeforeLoad = await binlogDumps(src);
    const readersBeforeLoad = readers(home);
    log(`binlog dumps on the source: ${dumpsIdle} after 5 s idle, ${dumpsBeforeLoad} before load A; readers ${readersBeforeLoad}`);
    log(`load A: ${RATE} txn/s + ${PROBE_RATE} probe/s for ${SECONDS} s, all targets up`);
    const loadA = await loadPhase(src, dst, home, rss, healthy, pid);
    const dumpsAfterA = await binlogDumps(src);
    const readersAfterA = readers(home);
    log(`load A: ${JSON.stringify(loadA)}; binlog dumps ${dumpsAfterA}`);

    // 3. the victim's target down (stopped), or hanging (its writes blocked by a global read lock)
    let victimState = '';
    const tDown = now();
    let lockConn: mysql.Connection | undefined;
    if (VICTIM === 'lock') {
      log('blocking every write on the victim pair\'s target server (FLUSH TABLES WITH READ LOCK)');
      lockConn = await dst2.connect();
      await lockConn.query('FLUSH TABLES WITH READ LOCK');
      victimState = 'target blocked by a global read lock';
    } else {
      log('stopping the victim pair\'s target server');
      await dst2.stop(true);
      await waitFor('the victim pair to notice', 60_000, () => {
        const v = readStatus(home)?.pairs.find((p) => p.name === 'victim');
        victimState = v?.state ?? '';
        return !!v && v.state !== 'streaming';
      }).catch(() => { victimState = `${victimState} (still, 60 s after the stop)`; });
    }
    const victimNoticedSec = round1((now() - tDown) / 1000);
    const dumpsVictimDown = await binlogDumps(src);
    log(`victim: ${victimState}, ${victimNoticedSec} s after its target's ${VICTIM} began; binlog dumps ${dumpsVictimDown}; load B`);
    const loadB = await loadPhase(src, dst, home, rss, healthy, pid);
    const dumpsAfterB = await binlogDumps(src);
    const readersAfterB = readers(home);
    const v = readStatus(home)?.pairs.find((p) => p.name === 'victim');
    const victimAfterB = `${v?.state}${v?.binlogReader ? ` (${v.binlogReader} reader)` : ''}, backlog ${v?.backlog?.events ?? '-'} events / ${v?.backlog ? Math.round(v.backlog.bytes / 1024) : '-'} KiB, lag ${v?.lagMs ?? '-'} ms`;
    log(`load B: ${JSON.stringify(loadB)}; binlog dumps ${dumpsAfterB}; victim ${victimAfterB}`);
    const tBack = now();
    if (lockConn) {
      await lockConn.query('UNLOCK TABLES');
      await lockConn.end();
    } else {
      await dst2.restart();
    }
    const back = await caughtUp(src, home, ['victim']);
    const victimBackSec = back === null ? null : round1((now() - tBack) / 1000);
    log(`victim target back: pair streaming and caught up after ${victimBackSec} s`);

    // 4. equal?
    let differ: string[] = [];
    const tCheck = now();
    try {
      await waitFor('every target equal to its source', 180_000, () => { differ = differingPairs(src, dst, dst2); return differ.length === 0; }, 3000);
    } catch (err) { log(`${String(err)}: ${differ.join(', ')}`); }
    const equalSec = round1((now() - tCheck) / 1000);
    const dumpsEnd = await binlogDumps(src);
    const readersEnd = readers(home);
    const peakRssMb = Math.round(rss.peak());
    const result = {
      mode, round, firstTouch: { updates: touch.sent, sec: touch.sec, caughtUpSec: touchCaughtUpSec }, modeNote, pairs: names.length, tables: names.length * TABLES, rowsPerTable: ROWS, dataSetupSec: dataSec,
      startup: {
        serviceUpSec: round1(upSec), allStreamingSec,
        streamingSec: { first: round1(Math.min(...firstStreaming.values())), median: round1(median([...firstStreaming.values()])), last: round1(Math.max(...firstStreaming.values())) },
        firstSchemaCheckDoneSec: { pairs: schemaDone.length, median: round1(median(schemaDone)), last: round1(Math.max(...schemaDone)) },
        statusCliStreaming: streamingCli,
      },
      binlogDumps: { allStreaming: dumpsStreaming, idle: dumpsIdle, beforeLoadA: dumpsBeforeLoad, afterLoadA: dumpsAfterA, victimDown: dumpsVictimDown, afterLoadB: dumpsAfterB, end: dumpsEnd },
      readers: { allStreaming: readersStreaming, beforeLoadA: readersBeforeLoad, afterLoadA: readersAfterA, afterLoadB: readersAfterB, end: readersEnd },
      rss: { idleMedianMb: Math.round(median(idle)), loadAMedianMb: loadA.rssMedianMb, loadBMedianMb: loadB.rssMedianMb, peakMb: peakRssMb },
      loadA, victim: VICTIM, victimStateWhenDown: victimState, victimNoticedSec, loadB, victimAfterB, victimBackSec, equal: differ.length === 0, differingPairs: differ, equalCheckSec: equalSec,
    };
    log(`result ${JSON.stringify(result)}`);
    return result;
  } finally {
    rss?.stop();
    if (started) await cli(home, ['service', 'stop'], 60_000).catch((err) => log(`service stop: ${String(err)}`));
    await Promise.all([src.stop(), dst.stop(), dst2.stop()]);
    rmSync(home, { recursive: true, force: true });
  }
}

type Result = Awaited<ReturnType<typeof oneRun>>;

const failText = (f: { count: number; pairs: number; codes: string[] }) => (f.count ? `${f.count} in ${f.pairs} pairs (${f.codes.join(', ')})` : 'none');

function table(results: Result[]): string {
  const rows: Array<[string, (r: Result) => string]> = [
    ['pairs / tables', (r) => `${r.pairs} / ${r.tables}`],
    ['mode', (r) => `${r.mode} (${r.modeNote})`],
    ['service start -> every pair streaming', (r) => `${r.startup.allStreamingSec} s`],
    ['  pair streaming: first / median / last', (r) => `${r.startup.streamingSec.first} / ${r.startup.streamingSec.median} / ${r.startup.streamingSec.last} s`],
    ['  first schema check done: median / last', (r) => `${r.startup.firstSchemaCheckDoneSec.median} / ${r.startup.firstSchemaCheckDoneSec.last} s`],
    ['binlog dumps on the source: all streaming / 5 s later / before load A / after load A', (r) => `${r.binlogDumps.allStreaming} / ${r.binlogDumps.idle} / ${r.binlogDumps.beforeLoadA} / ${r.binlogDumps.afterLoadA}`],
    ['pairs by reader (status binlogReader): all streaming / before load A / after A / after B / end', (r) => [r.readers.allStreaming, r.readers.beforeLoadA, r.readers.afterLoadA, r.readers.afterLoadB, r.readers.end].join(' / ')],
    ['binlog dumps (victim target down / after load B / end)', (r) => `${r.binlogDumps.victimDown} / ${r.binlogDumps.afterLoadB} / ${r.binlogDumps.end}`],
    ['RSS idle / load A / load B (median), peak VmHWM', (r) => `${r.rss.idleMedianMb} / ${r.rss.loadAMedianMb} / ${r.rss.loadBMedianMb}, ${r.rss.peakMb} MB`],
    ['first change to every table (1 UPDATE each): pairs caught up after', (r) => `${r.firstTouch.caughtUpSec ?? 'never'} s after the last of ${r.firstTouch.updates} (sent in ${r.firstTouch.sec} s)`],
    ['load A: txn/s sent (plus the probe), row changes/s applied', (r) => `${r.loadA.txnPerSec}, ${r.loadA.appliedRowsPerSec}`],
    ['load A: CPU cores used by the service / by the source mariadbd', (r) => `${r.loadA.serviceCpuCores} / ${r.loadA.sourceServerCpuCores}`],
    ['load A: healthy pair lag p50 / p99 / max', (r) => `${r.loadA.lag.p50Ms} / ${r.loadA.lag.p99Ms} / ${r.loadA.lag.maxMs} ms (${r.loadA.lag.seen} probes)`],
    ['load A: pair failures (errorsTotal) until caught up', (r) => failText(r.loadA.failures)],
    ['load A: all healthy pairs caught up (position at source end) after', (r) => `${r.loadA.caughtUpSec ?? 'never'} s`],
    ['victim target down: how, victim state (seen after)', (r) => `${r.victim}: ${r.victimStateWhenDown} (${r.victimNoticedSec} s)`],
    ['load B: txn/s sent (plus the probe), row changes/s applied', (r) => `${r.loadB.txnPerSec}, ${r.loadB.appliedRowsPerSec}`],
    ['load B: CPU cores used by the service / by the source mariadbd', (r) => `${r.loadB.serviceCpuCores} / ${r.loadB.sourceServerCpuCores}`],
    ['load B: healthy pair lag p50 / p99 / max', (r) => `${r.loadB.lag.p50Ms} / ${r.loadB.lag.p99Ms} / ${r.loadB.lag.maxMs} ms (${r.loadB.lag.seen} probes)`],
    ['victim at the end of load B', (r) => r.victimAfterB],
    ['load B: pair failures (errorsTotal; the victim\'s included) until caught up', (r) => failText(r.loadB.failures)],
    ['load B: all healthy pairs caught up (position at source end) after', (r) => `${r.loadB.caughtUpSec ?? 'never'} s`],
    ['victim back: streaming and caught up after', (r) => `${r.victimBackSec ?? 'never'} s`],
    ['every target equal to its source (CHECKSUM TABLE)', (r) => (r.equal ? `yes (${r.equalCheckSec} s)` : `NO: ${r.differingPairs.join(', ')}`)],
  ];
  const head = ['measurement', ...results.map((r) => `${r.mode} #${r.round}`)];
  const lines = [head, head.map(() => '---'), ...rows.map(([label, f]) => [label, ...results.map(f)])];
  return lines.map((cols) => `| ${cols.join(' | ')} |`).join('\n');
}

async function main(): Promise<void> {
  if (VICTIM !== 'stop' && VICTIM !== 'lock') throw new Error(`BENCH_SCALE_VICTIM: ${VICTIM} (stop, lock)`);
  for (const m of MODES) if (m !== 'own' && m !== 'shared') throw new Error(`BENCH_SCALE_MODES: unknown mode ${m} (own, shared)`);
  log(`bench:scale: ${PAIRS} pairs x ${TABLES} tables + victim, modes ${MODES.join(',')}, ${ROUNDS} round(s), ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const results: Result[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const mode of MODES) results.push(await oneRun(mode, round));
  }
  const out = { at: new Date().toISOString(), cpus: os.cpus().length, loadAverageEnd: os.loadavg(), settings: { PAIRS, TABLES, ROWS, RATE, SECONDS, PROBE_RATE }, results };
  writeFileSync(path.join(ROOT, 'bench/scale-results.json'), JSON.stringify(out, null, 2));
  console.log(`\n${table(results)}\n`);
}

await main();
