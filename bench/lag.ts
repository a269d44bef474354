/**
 * The lag benchmark's runner, shared by `npm run bench:lag` (bench/lag-report.ts: rounds,
 * A/B, traces) and `npm run bench` (part 3: rates up to the highest sustained, and the
 * multi-statement load). Change-stream lag of db-sync next to native MariaDB replication
 * (CHANGE MASTER on the target server, one applier thread), same servers, one kind after the
 * other, each on databases of its own:
 * - a rate: single-row autocommit INSERTs paced at that many per second over
 *   max(2, rate/1000) connections for `seconds`;
 * - `multi`: 2 client threads, unpaced, for `multiSeconds`, each transaction BEGIN; UPDATE k
 *   (indexed); UPDATE c; DELETE (the row this thread inserted 100 transactions ago); INSERT;
 *   COMMIT (4 row changes). Its catch-up delay: from the last COMMIT on the source to both
 *   threads' last rows visible on the target.
 * Each run first puts the same load on for `warmupSeconds` and waits until the target caught
 * up, unmeasured: a service that runs, not one whose code is still cold (a fresh db-sync
 * process starts seconds behind under the multi load, docs/data.md).
 * Real lag per transaction: first moment MAX(id) on the target covered its row - its source
 * time (single-row: NOW(6) of the INSERT; multi: when its COMMIT returned to the client; same
 * machine, same clock). Also: the lag db-sync *reports* (status file, every second) and
 * Seconds_Behind_Master, sampled while the load runs, and the CPU seconds of source, target and
 * db-sync while the measured load ran.
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import type { TestServer } from '../test/helpers/mariadb-server.js';
import { cpuSec, dbSyncHome, q, watchTarget } from './common.js';
import { NODE_FLAGS } from '../src/core/node-flags.js';

/** db-sync (a build, node options), a second db-sync to compare with (`dbsyncB`), or a native replica. */
export type Kind = 'dbsync' | 'dbsyncB' | 'native';

export interface LagSettings {
  /** Length of a rate's measured load, and of the multi-statement one (s). */
  seconds: number;
  multiSeconds: number;
  /** The same load first, unmeasured, then a wait until the target caught up (0: none). */
  warmupSeconds: number;
  /** The build and node options of each db-sync kind. */
  runs: Record<'dbsync' | 'dbsyncB', { cli: string; nodeArgs: string[] }>;
  /** db-sync writes where its lag goes to <trace>/<db>.json (src/core/data/lag-trace.ts). */
  trace?: string;
  /** db-sync's stdout and stderr go to <childLog>/<db>.log (for --trace-gc and the like). */
  childLog?: string;
}

const TABLE = 'CREATE TABLE lagt (id BIGINT AUTO_INCREMENT PRIMARY KEY, ts_src DATETIME(6) NOT NULL, pad VARCHAR(40),'
  + ' k INT NOT NULL DEFAULT 0, KEY (k))';
/** Rows 1..MULTI_ROWS are what the multi load updates; it never deletes them. */
const MULTI_ROWS = 10_000;

interface Published { state: string; lagMs: number | null; updatedAt: string }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

function stats(xs: number[]) {
  const v = [...xs].sort((a, b) => a - b);
  const pct = (p: number) => +(v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))] ?? NaN).toFixed(1);
  return { n: v.length, min: pct(0), p50: pct(50), p99: pct(99), p999: pct(99.9), max: pct(100),
    distinct: new Set(v).size, zeros: v.filter((x) => x === 0).length };
}

interface Load { achieved: number; sourceAt?: Map<number, number>; last?: number[]; endedAt?: number }

/** Single-row autocommit INSERTs at `rate`/s for SECONDS over paced connections. */
async function write(src: TestServer, db: string, rate: number, seconds: number): Promise<Load> {
  const open = () => mysql.createConnection({ host: '127.0.0.1', port: src.port, user: 'root', database: db });
  const conns = await Promise.all(Array.from({ length: Math.max(2, Math.ceil(rate / 1000)) }, open));
  const per = rate / conns.length;
  const start = Date.now();
  let sent = 0;
  await Promise.all(conns.map(async (c) => {
    for (let i = 0; Date.now() < start + seconds * 1000; i++) {
      const due = start + (i * 1000) / per;
      if (due > Date.now()) await sleep(due - Date.now());
      await c.query("INSERT INTO lagt (ts_src, pad) VALUES (NOW(6), 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')");
      sent++;
    }
  }));
  await Promise.all(conns.map((c) => c.end()));
  return { achieved: sent / ((Date.now() - start) / 1000) };
}

/** The multi-statement load (file comment) from 2 unpaced threads for MULTI_SECONDS. */
async function writeMulti(src: TestServer, db: string, seconds: number): Promise<Load> {
  const open = () => mysql.createConnection({ host: '127.0.0.1', port: src.port, user: 'root', database: db });
  const conns = await Promise.all([open(), open()]);
  const sourceAt = new Map<number, number>();
  const last: number[] = [];
  const start = Date.now();
  let txns = 0;
  let endedAt = 0;
  const pick = () => 1 + Math.floor(Math.random() * MULTI_ROWS);
  await Promise.all(conns.map(async (c, t) => {
    const mine: number[] = [];
    while (Date.now() < start + seconds * 1000) {
      await c.query('BEGIN');
      await c.query('UPDATE lagt SET k = k + 1 WHERE id = ?', [pick()]);
      await c.query("UPDATE lagt SET pad = CONCAT('u', RAND()) WHERE id = ?", [pick()]);
      if (mine.length >= 100) await c.query('DELETE FROM lagt WHERE id = ?', [mine.shift()]);
      const [r] = await c.query("INSERT INTO lagt (ts_src, pad) VALUES (NOW(6), 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')");
      const id = (r as { insertId: number }).insertId;
      await c.query('COMMIT');
      const at = now();
      sourceAt.set(id, at);
      endedAt = Math.max(endedAt, at);
      mine.push(id);
      last[t] = id;
      txns++;
    }
  }));
  const achieved = txns / ((Date.now() - start) / 1000);
  await Promise.all(conns.map((c) => c.end()));
  return { achieved, sourceAt, last, endedAt };
}

/** Polls MAX(id) on the target (when each row became visible: watchTarget) and the reported lag, until stopped. */
async function watch(dst: TestServer, db: string, reported: () => Promise<number | null>) {
  const target = await watchTarget(dst, db, 1);
  const reports: Array<[number, number]> = [];
  let stopped = false;
  const sampling = (async () => {
    while (!stopped) {
      const v = await reported();
      if (v !== null) reports.push([Date.now(), v]);
      await sleep(250);
    }
  })();
  const stop = async () => {
    stopped = true;
    const [seen] = await Promise.all([target.stop(), sampling]);
    return { seen, reports };
  };
  return { stop };
}

/** Per transaction: first time MAX(id) on the target covered its row - its source time. */
function realLags(seen: Array<[number, number]>, source: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let j = 0;
  for (const [id, at] of source) {
    while (j < seen.length && seen[j]![0] < id) j++;
    if (j < seen.length) out.push([at, seen[j]![1] - at]);
  }
  return out;
}

/** Median lag of each 4 s of the load, in order (does the lag grow, stay, or catch up?). */
function trend(lags: Array<[number, number]>): number[] {
  const first = lags[0]?.[0] ?? 0;
  const slices: number[][] = [];
  for (const [at, lag] of lags) (slices[Math.floor((at - first) / 4000)] ??= []).push(lag);
  return [...slices].map((xs) => stats(xs ?? []).p50);
}

/** The lag kept growing: the last fifth of the transactions waited clearly longer than the first. */
function growing(lags: number[]): boolean {
  const fifth = Math.max(1, Math.floor(lags.length / 5));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  return median(lags.slice(-fifth)) > 2 * median(lags.slice(0, fifth)) + 20;
}

/** Until `done` (a query on the target) holds; when it first did (ms, `now()`). */
async function until(dst: TestServer, db: string, sql: string, done: (v: number) => boolean): Promise<number> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: dst.port, user: 'root', database: db });
  try {
    for (const limit = Date.now() + 300_000; Date.now() < limit; await sleep(1)) {
      const [[r]] = (await c.query(sql)) as unknown as [[{ v: number | null }]];
      if (done(Number(r.v ?? 0))) return now();
    }
    throw new Error(`the target did not catch up in 300 s (${db}: ${sql})`);
  } finally { await c.end(); }
}

const PREFILL = `INSERT INTO lagt (id, ts_src, pad) SELECT seq, NOW(6), 'x' FROM seq_1_to_${MULTI_ROWS}`;

/** One measured run of one kind at one level (a rate, or `multi`), on databases of its own. */
export async function lagRound(kind: Kind, src: TestServer, dst: TestServer, level: string, round: number,
  s: LagSettings) {
  const multi = level === 'multi';
  const db = `lagr_${kind}_${level}_${round}`;
  let stop = async () => undefined as unknown;
  let reported: () => Promise<number | null>;
  let clientPid: number | undefined;
  q(dst, `CREATE DATABASE ${db}`);
  q(dst, TABLE, db);
  if (kind !== 'native') {
    const { cli, nodeArgs } = s.runs[kind];
    q(src, `CREATE DATABASE ${db}; USE ${db}; ${TABLE}; ${multi ? PREFILL : ''}`);
    const home = dbSyncHome(src, dst, db, db, 'db-sync-lagr-');
    const trace = s.trace ? { DB_SYNC_LAG_TRACE: path.join(s.trace, `${db}.json`) } : {};
    const env = { ...process.env, DB_SYNC_HOME: home, ...trace };
    const out = s.childLog ? openSync(path.join(s.childLog, `${db}.log`), 'w') : 'ignore';
    const child = spawn(process.execPath, [...NODE_FLAGS, ...nodeArgs, cli, 'service', 'start'],
      { env, stdio: ['ignore', out, out] });
    clientPid = child.pid;
    let gone = false;
    const exited = new Promise((r) => child.once('exit', (code) => { gone = true; r(code); }));
    const pair = () => {
      try {
        const doc = JSON.parse(readFileSync(path.join(home, 'status.json'), 'utf8')) as { pairs: Published[] };
        return doc.pairs[0];
      } catch { return undefined; }
    };
    while (pair()?.state !== 'streaming') {
      if (gone) throw new Error(`db-sync (${cli}) exited before streaming`);
      await sleep(200);
    }
    let last = '';
    // one sample per published status (written every second)
    reported = async () => {
      const p = pair();
      if (!p || p.updatedAt === last) return null;
      last = p.updatedAt;
      return p.lagMs;
    };
    stop = async () => { child.kill('SIGTERM'); await exited; rmSync(home, { recursive: true, force: true }); };
  } else {
    q(dst, `STOP SLAVE; SET GLOBAL replicate_do_db = '${db}'`);
    const [file, pos] = q(src, 'SHOW MASTER STATUS').split('\t');
    q(dst, `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${src.port}, MASTER_USER='root', MASTER_PASSWORD='',
      MASTER_LOG_FILE='${file}', MASTER_LOG_POS=${pos}; START SLAVE`);
    q(src, `CREATE DATABASE ${db}; USE ${db}; ${TABLE}; ${multi ? PREFILL : ''}`);
    const c = await mysql.createConnection({ host: '127.0.0.1', port: dst.port, user: 'root' });
    reported = async () => {
      const [[r]] = (await c.query('SHOW SLAVE STATUS')) as unknown as [[{ Seconds_Behind_Master: number | null }]];
      const sbm = r?.Seconds_Behind_Master;
      return sbm === null || sbm === undefined ? null : Number(sbm) * 1000;
    };
    stop = async () => { await c.end(); q(dst, 'STOP SLAVE'); };
  }
  if (multi) await until(dst, db, 'SELECT COUNT(*) AS v FROM lagt', (v) => v >= MULTI_ROWS);
  const load = (seconds: number) => (multi ? writeMulti(src, db, seconds) : write(src, db, Number(level), seconds));
  /** Wait for the load's last transaction; for the multi load, how long after its last COMMIT that was. */
  const caughtUp = async (l: Load) => {
    if (!multi) {
      const max = Number(q(src, `SELECT MAX(id) FROM ${db}.lagt`));
      await until(dst, db, 'SELECT MAX(id) AS v FROM lagt', (v) => v >= max);
      return undefined;
    }
    const last = l.last ?? [];
    const sql = `SELECT COUNT(*) AS v FROM lagt WHERE id IN (${last.join(',')})`;
    const at = await until(dst, db, sql, (v) => v >= last.length);
    return +(at - (l.endedAt ?? at)).toFixed(1);
  };
  if (s.warmupSeconds > 0) await caughtUp(await load(s.warmupSeconds));
  const measuredFrom = Number(q(src, `SELECT MAX(id) FROM ${db}.lagt`));
  const w = await watch(dst, db, reported);
  const from = Date.now() + 1500; // reports published once the load runs (db-sync's status file: every second)
  const cpu0 = [src.pid, dst.pid, clientPid].map(cpuSec);
  const measured = await load(multi ? s.multiSeconds : s.seconds);
  const to = Date.now();
  // CPU seconds each process used while the load ran (the target's includes native's applier threads)
  const [srcCpu, dstCpu, clientCpu] = [src.pid, dst.pid, clientPid].map((pid, i) => +(cpuSec(pid) - cpu0[i]!).toFixed(2));
  // wait for the last transaction: rows the target has not shown yet would drop out of the tail
  const catchUpMs = await caughtUp(measured);
  await sleep(50);
  const { seen, reports } = await w.stop();
  await stop();
  const inLoad = reports.filter(([t]) => t >= from && t <= to).map(([, v]) => v);
  const source: Array<[number, number]> = multi
    ? [...(measured.sourceAt ?? new Map<number, number>())].sort((x, y) => x[0] - y[0])
    : q(src, `SELECT id, UNIX_TIMESTAMP(ts_src) * 1000 FROM ${db}.lagt WHERE id > ${measuredFrom} ORDER BY id`)
      .split('\n').map((l) => l.split('\t').map(Number) as [number, number]);
  const lags = realLags(seen, source);
  // cross-check of the catch-up: when the polled MAX(id) first covered the last row
  const lastId = Math.max(...(measured.last ?? [0]));
  const seenLast = seen.find(([m]) => m >= lastId)?.[1];
  const catchUpByMaxMs = multi && seenLast && measured.endedAt ? +(seenLast - measured.endedAt).toFixed(1) : undefined;
  const real = stats(lags.map(([, lag]) => lag));
  return { kind, level, round, achieved: Math.round(measured.achieved), real, catchUpMs, catchUpByMaxMs,
    trendMs: trend(lags), growing: growing(lags.map(([, lag]) => lag)), reportedMs: stats(inLoad),
    cpuSec: { src: srcCpu, dst: dstCpu, ...(kind !== 'native' ? { dbSync: clientCpu } : {}) } };
}

export type LagResult = Awaited<ReturnType<typeof lagRound>>;

/** Per level: each kind's p50/p99/p999 (ranges over the rounds), and its p99 / native's per round. */
export function lagSummary(results: LagResult[], levels: string[], kinds: Kind[]): void {
  const range = (xs: number[]) => (xs.length ? `${Math.min(...xs)}-${Math.max(...xs)}` : '-');
  const ratio = (a: number[], b: number[]) => a.map((x, i) => +(x / (b[i] ?? NaN)).toFixed(2));
  console.log('\nlevel | kind | txn/s | p50 ms | p99 ms | p999 ms | catch-up ms | p99 / native (per round)');
  for (const level of levels) {
    const of = (k: string) => results.filter((r) => r.level === level && r.kind === k);
    const nat = of('native');
    for (const kind of kinds) {
      const rs = of(kind);
      const p99 = rs.map((r) => r.real.p99);
      console.log([level, kind, range(rs.map((r) => r.achieved)), range(rs.map((r) => r.real.p50)), range(p99),
        range(rs.map((r) => r.real.p999)), range(rs.flatMap((r) => (r.catchUpMs === undefined ? [] : [r.catchUpMs]))),
        kind === 'native' ? '' : JSON.stringify(ratio(p99, nat.map((r) => r.real.p99)))].join(' | '));
    }
  }
}


/** A rate was sustained: the writers reached it and the lag did not keep growing (nor pass a second). */
export function sustained(r: LagResult): boolean {
  const rate = Number(r.level);
  return Number.isFinite(rate) && r.achieved >= rate * 0.9 && !r.growing && r.real.p99 < 1000;
}
