/**
 * Benchmark (not a test): `npm run bench`. Two throwaway MariaDB servers on this machine.
 * 1. Snapshot of a 1,000,000-row table: db-sync (`sync run --once`, peak RSS sampled from
 *    /proc) vs `mydumper -t 2` + `myloader -t 2` (Debian package mydumper, installed with apt
 *    when missing) and `mariadb-dump --single-transaction | mariadb`, in BENCH_SNAPSHOT_ROUNDS
 *    rounds (3); each round runs every tool once (db-sync first in odd rounds, last in even
 *    ones; each copy starts once the target has flushed the one before), and the ratios are
 *    taken within a round.
 * 2. A table of 1 MiB rows (BENCH_WIDE_ROWS, 200; BENCH_WIDE_ROUNDS, 2; 0 skips): db-sync's
 *    copy time and peak RSS (issue 12: under 200 MB). BENCH_SNAPSHOT_ROUNDS=0 skips part 1.
 * 3. Change-stream lag, db-sync next to native MariaDB replication (bench/lag.ts, the runner
 *    `npm run bench:lag` uses too): single-row INSERTs at BENCH_RATES per second (default
 *    1000,5000,9000,12000) for BENCH_SECONDS (12) each, and the multi-statement load from 2
 *    threads for BENCH_MULTI_SECONDS (40; 0 skips it), each after BENCH_WARMUP_SECONDS (5) of
 *    the same load; p50/p99/p999 with db-sync / native, and the highest rate each sustained.
 * BENCH_B_CLI (a path to another build's dist/cli/main.js) adds that build's copy to every
 * round of part 1, as `dbSyncBSec` and `vsDbSyncB` (the B build's time over this one's).
 * Prints the figures and writes bench/results.json.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, findBinary, type TestServer } from '../test/helpers/mariadb-server.js';
import { childrenCpuSec, cpuSec, dbSyncHome, q } from './common.js';
import { lagRound, lagSummary, sustained, type LagResult, type LagSettings } from './lag.js';
import { NODE_FLAGS } from '../src/core/node-flags.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const B_CLI = process.env.BENCH_B_CLI ? path.resolve(process.env.BENCH_B_CLI) : null;
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RATES = (process.env.BENCH_RATES ?? '1000,5000,9000,12000').split(',').map(Number).filter((n) => n > 0);
const LAG: LagSettings = {
  seconds: Number(process.env.BENCH_SECONDS ?? 12),
  multiSeconds: Number(process.env.BENCH_MULTI_SECONDS ?? 40),
  warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 5),
  runs: { dbsync: { cli: CLI, nodeArgs: [] }, dbsyncB: { cli: CLI, nodeArgs: [] } },
};
const LAG_LEVELS = [...RATES.map(String), ...(LAG.multiSeconds > 0 && RATES.length ? ['multi'] : [])];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/**
 * fn's result, its wall time, and what it cost in CPU seconds: the two servers, and the client
 * processes fn ran to their exit (db-sync; mydumper and myloader).
 */
async function costOf<T>(src: TestServer, dst: TestServer, fn: () => T | Promise<T>) {
  const [s0, d0, c0, t0] = [cpuSec(src.pid), cpuSec(dst.pid), childrenCpuSec(), Date.now()];
  const value = await fn();
  return { value, sec: (Date.now() - t0) / 1000, srcCpu: +(cpuSec(src.pid) - s0).toFixed(2),
    dstCpu: +(cpuSec(dst.pid) - d0).toFixed(2), clientCpu: +(childrenCpuSec() - c0).toFixed(2) };
}

function startDbSync(home: string, args: string[], cli = CLI): { child: ChildProcess; peakRssMb: () => number; exit: Promise<number> } {
  const child = spawn(process.execPath, [...NODE_FLAGS, cli, 'sync', 'run', 'p', ...args], { env: { ...process.env, DB_SYNC_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
  let peak = 0;
  let err = '';
  child.stderr?.on('data', (d) => { err += String(d); });
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch { /* exited */ }
  }, 50);
  const exit = new Promise<number>((resolve) => child.once('exit', (code) => {
    clearInterval(timer);
    if (code) process.stderr.write(err.slice(-2000));
    resolve(code ?? 1);
  }));
  return { child, peakRssMb: () => peak, exit };
}

/** mydumper/myloader (Debian package `mydumper`): installed with apt when missing and we are root. */
function ensureMydumper(): { dump: string; load: string } {
  const which = (b: string) => { try { return execFileSync('which', [b]).toString().trim(); } catch { return ''; } };
  if (!which('mydumper') && process.getuid?.() === 0) {
    console.log('mydumper not found: installing the Debian package mydumper with apt');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = 'apt-get install -y -qq mydumper >/dev/null';
    execFileSync('bash', ['-c', `${install} || (apt-get update -qq && ${install})`], { env, stdio: 'inherit' });
  }
  const dump = which('mydumper');
  const load = which('myloader');
  if (!dump || !load) {
    throw new Error('the anchor needs mydumper and myloader: install the Debian package mydumper '
      + '(apt-get install mydumper)');
  }
  return { dump, load };
}

const MYDUMPER_THREADS = 2;
/** Rows per mydumper chunk file: without chunks a single table is one file and myloader loads it on one thread. */
const MYDUMPER_ROWS = Number(process.env.BENCH_MYDUMPER_ROWS ?? 100_000);

/** `mydumper -t 2` into a directory, then `myloader -t 2` from it; seconds of each. */
function mydumperCopy(tools: { dump: string; load: string }, src: TestServer, dst: TestServer, db: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'db-sync-bench-mydumper-'));
  try {
    const conn = (s: TestServer) => ['-h', '127.0.0.1', '-P', String(s.port), '-u', 'root'];
    const t0 = Date.now();
    execFileSync(tools.dump, [...conn(src), '-t', String(MYDUMPER_THREADS), '-r', String(MYDUMPER_ROWS),
      '--trx-consistency-only', '-B', 'snap', '-T', 'big', '-o', dir, '-v', '1']);
    const t1 = Date.now();
    execFileSync(tools.load, [...conn(dst), '-t', String(MYDUMPER_THREADS), '-d', dir, '-B', db, '-o', '-v', '1']);
    const t2 = Date.now();
    return { dumpSec: (t1 - t0) / 1000, loadSec: (t2 - t1) / 1000, totalSec: (t2 - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Wait until the target has written out the dirty pages of the copy before (at most 30 s):
 * the throwaway servers have a 128 MB buffer pool and a 64 MB redo log, and a copy that
 * starts while the page cleaner still flushes the previous tool's 100 MB pays for it.
 */
async function settle(dst: TestServer): Promise<number> {
  const dirty = () => Number(q(dst, "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'").split('\t')[1]);
  const before = dirty();
  q(dst, 'SET GLOBAL innodb_max_dirty_pages_pct = 0');
  try {
    for (const t0 = Date.now(); dirty() > 100 && Date.now() - t0 < 30_000;) await sleep(200);
    return before;
  } finally {
    q(dst, 'SET GLOBAL innodb_max_dirty_pages_pct = DEFAULT');
  }
}

const checksum = (s: TestServer, table: string) => q(s, `CHECKSUM TABLE ${table}`).split('\t')[1];
const SNAPSHOT_ROUNDS = Number(process.env.BENCH_SNAPSHOT_ROUNDS ?? 3);
const WITH_MYSQLDUMP = process.env.BENCH_MYSQLDUMP !== '0';
const spread = (xs: number[]) => ({ min: +Math.min(...xs).toFixed(2),
  median: +[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(2), max: +Math.max(...xs).toFixed(2) });

/** The CREATE TABLE of schema.table on s, as SHOW CREATE TABLE gives it. */
const showCreate = (s: TestServer, table: string) => q(s, `SHOW CREATE TABLE ${table}`).split('\t')[1]!.replace(/\\n/g, '\n');

/**
 * One `sync run --once` of srcDb into dstDb, started once the target has flushed the copy
 * before: its wall time, peak RSS, the CPU it cost (servers and db-sync), and the dirty pages
 * the target had before the wait.
 */
async function dbSyncCopy(src: TestServer, dst: TestServer, srcDb: string, dstDb: string, cli = CLI) {
  const dirtyPagesBefore = await settle(dst);
  const home = dbSyncHome(src, dst, srcDb, dstDb);
  try {
    const c = await costOf(src, dst, async () => {
      const started = startDbSync(home, ['--once'], cli);
      if ((await started.exit) !== 0) throw new Error(`db-sync copy of ${srcDb} failed`);
      return started;
    });
    return { sec: c.sec, peakRssMb: Math.round(c.value.peakRssMb()), dirtyPagesBefore,
      cpu: { src: c.srcCpu, dst: c.dstCpu, client: c.clientCpu } };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The 1M-row copy, db-sync against its anchors in the same round (the machine is shared, so
 * only ratios from one round compare): mydumper -t 2 | myloader -t 2 (the anchor a DBA uses
 * for a fast logical copy) and mariadb-dump | mariadb. Each round copies with each tool once.
 */
async function snapshotBench(src: TestServer, dst: TestServer) {
  const tools = ensureMydumper();
  q(src, `CREATE DATABASE snap; SET SESSION max_recursive_iterations = ${ROWS + 10};
    CREATE TABLE snap.big (id INT UNSIGNED PRIMARY KEY, a INT, b INT, s VARCHAR(64), dt DATETIME);
    INSERT INTO snap.big WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
      SELECT i, i * 7 % 1000003, i % 977, CONCAT('row-', i, '-', MD5(i)), '2024-01-01 00:00:00' + INTERVAL i SECOND FROM n;`);
  const create = showCreate(src, 'snap.big');
  const want = checksum(src, 'snap.big');
  const rounds: Array<Record<string, unknown>> = [];
  for (let round = 0; round < SNAPSHOT_ROUNDS; round++) {
    q(dst, `DROP DATABASE IF EXISTS snap_dump; DROP DATABASE IF EXISTS snap_dbsync;
      DROP DATABASE IF EXISTS snap_mydumper; DROP DATABASE IF EXISTS snap_dbsyncb;
      CREATE DATABASE snap_dump; CREATE DATABASE snap_dbsync; CREATE DATABASE snap_mydumper`);
    q(dst, create, 'snap_dbsync');
    if (B_CLI) q(dst, `CREATE DATABASE snap_dbsyncb; USE snap_dbsyncb; ${create}`);
    let my = { dumpSec: NaN, loadSec: NaN, totalSec: NaN };
    let dumpSec = NaN;
    let dbSyncSec = NaN;
    let peakRssMb = NaN;
    const cpu: Record<string, unknown> = {};
    const anchors = async () => {
      await settle(dst);
      const c = await costOf(src, dst, () => mydumperCopy(tools, src, dst, 'snap_mydumper'));
      my = c.value;
      cpu.mydumper = { src: c.srcCpu, dst: c.dstCpu, client: c.clientCpu };
      if (!WITH_MYSQLDUMP) return;
      await settle(dst);
      const t0 = Date.now();
      const dump = `${findBinary(['mariadb-dump'])} --no-defaults -h127.0.0.1 -P${src.port} -uroot`
        + ' --single-transaction snap big'
        + ` | ${findBinary(['mariadb'])} --no-defaults -h127.0.0.1 -P${dst.port} -uroot snap_dump`;
      execFileSync('bash', ['-o', 'pipefail', '-c', dump]);
      dumpSec = (Date.now() - t0) / 1000;
    };
    let dirtyPagesBefore = NaN;
    let dbSyncBSec = NaN;
    const a = async () => {
      const c = await dbSyncCopy(src, dst, 'snap', 'snap_dbsync');
      ({ dirtyPagesBefore, sec: dbSyncSec, peakRssMb } = c);
      cpu.dbSync = c.cpu;
    };
    const b = async () => {
      if (!B_CLI) return;
      const c = await dbSyncCopy(src, dst, 'snap', 'snap_dbsyncb', B_CLI);
      dbSyncBSec = c.sec;
      cpu.dbSyncB = c.cpu;
    };
    // the B build goes first in every other pair of rounds
    const dbSync = async () => { if (Math.floor(round / 2) % 2) { await b(); await a(); } else { await a(); await b(); } };
    // who goes first alternates: the page cache and the source's buffer pool favour neither
    if (round % 2 === 0) { await dbSync(); await anchors(); } else { await anchors(); await dbSync(); }
    const r = { dbSyncFirst: round % 2 === 0, dirtyPagesBefore, dbSyncSec, peakRssMb, mydumperSec: my.totalSec,
      mydumperDumpSec: my.dumpSec,
      myloaderSec: my.loadSec, vsMydumper: +(my.totalSec / dbSyncSec).toFixed(2), mysqldumpSec: dumpSec,
      vsMysqldump: +(dumpSec / dbSyncSec).toFixed(2),
      ...(B_CLI ? { dbSyncBSec, vsDbSyncB: +(dbSyncBSec / dbSyncSec).toFixed(2) } : {}),
      checksumEqual: checksum(dst, 'snap_dbsync.big') === want && checksum(dst, 'snap_mydumper.big') === want,
      cpuSec: cpu };
    console.log('snapshot round', round + 1, JSON.stringify(r));
    rounds.push(r);
  }
  const col = (k: string) => rounds.map((r) => Number(r[k]));
  return { rows: ROWS, rounds, dbSyncSec: spread(col('dbSyncSec')), mydumperSec: spread(col('mydumperSec')),
    vsMydumper: spread(col('vsMydumper')), ...(WITH_MYSQLDUMP ? { vsMysqldump: spread(col('vsMysqldump')) } : {}),
    peakRssMb: Math.max(...col('peakRssMb')), checksumEqual: rounds.every((r) => r.checksumEqual) };
}

const WIDE_ROWS = Number(process.env.BENCH_WIDE_ROWS ?? 200);
const WIDE_ROUNDS = Number(process.env.BENCH_WIDE_ROUNDS ?? 2);

/**
 * A table of 1 MiB rows (issue 12: peak RSS under 200 MB for one): WIDE_ROWS rows of a 512 KiB
 * LONGTEXT and a 512 KiB LONGBLOB (sent as hex), copied by db-sync WIDE_ROUNDS times; its time,
 * peak RSS, CPU, and whether the target's checksum equals the source's.
 */
async function wideBench(src: TestServer, dst: TestServer) {
  q(src, `CREATE DATABASE wide; SET SESSION max_recursive_iterations = ${WIDE_ROWS + 10};
    CREATE TABLE wide.w (id INT PRIMARY KEY, t LONGTEXT, b LONGBLOB);
    INSERT INTO wide.w WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${WIDE_ROWS})
      SELECT i, REPEAT(MD5(i), 16384), UNHEX(REPEAT(MD5(i + 1), 32768)) FROM n;`);
  const create = showCreate(src, 'wide.w');
  const want = checksum(src, 'wide.w');
  const rounds: Array<Record<string, unknown>> = [];
  for (let round = 0; round < WIDE_ROUNDS; round++) {
    q(dst, 'DROP DATABASE IF EXISTS wide_dbsync; CREATE DATABASE wide_dbsync');
    q(dst, create, 'wide_dbsync');
    const c = await dbSyncCopy(src, dst, 'wide', 'wide_dbsync');
    const r = { rows: WIDE_ROWS, rowBytes: 1 << 20, dbSyncSec: c.sec, peakRssMb: c.peakRssMb,
      checksumEqual: checksum(dst, 'wide_dbsync.w') === want, cpuSec: c.cpu };
    console.log('wide round', round + 1, JSON.stringify(r));
    rounds.push(r);
  }
  return rounds;
}

async function main(): Promise<void> {
  // Own tmpdirs: other processes on this machine clean /tmp, which breaks server temp tables.
  const tmp = () => `--tmpdir=${mkdtempSync(path.join(os.tmpdir(), 'db-sync-bench-tmp-'))}`;
  const [src, dst] = await Promise.all([
    startServer({ binlog: true, serverId: 1, label: 'bench-src', extraArgs: [tmp()] }),
    startServer({ binlog: false, serverId: 2, label: 'bench-dst', extraArgs: [tmp()] }),
  ]);
  try {
    const snapshot = SNAPSHOT_ROUNDS > 0 ? await snapshotBench(src, dst) : null;
    console.log('snapshot', JSON.stringify(snapshot));
    const wide = WIDE_ROWS > 0 && WIDE_ROUNDS > 0 ? await wideBench(src, dst) : null;
    const lag: LagResult[] = [];
    for (const level of LAG_LEVELS) {
      for (const kind of ['dbsync', 'native'] as const) {
        const r = await lagRound(kind, src, dst, level, 1, LAG);
        console.log('lag', JSON.stringify(r));
        lag.push(r);
      }
    }
    if (lag.length) lagSummary(lag, LAG_LEVELS, ['dbsync', 'native']);
    const maxSustained = (k: string) => Math.max(0, ...lag.filter((r) => r.kind === k && sustained(r)).map((r) => Number(r.level)));
    const results = { at: new Date().toISOString(), cpus: os.cpus().length, snapshot, wide, lag, maxSustained: { dbsync: maxSustained('dbsync'), native: maxSustained('native') } };
    writeFileSync(path.join(ROOT, 'bench/results.json'), JSON.stringify(results, null, 2));
    console.log(JSON.stringify(results.maxSustained));
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
}

await main();
