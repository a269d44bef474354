/**
 * Benchmark (not a test): `npm run build && npx tsx bench/lag-report.ts`. How well the lag
 * db-sync *reports* matches the real lag, next to what native replication reports
 * (Seconds_Behind_Master), under steady single-row INSERT loads (LAG_RATES, default 200,1000
 * per second; LAG_ROUNDS rounds, default 3; LAG_SECONDS per run, default 12).
 * LAG_CLI runs another build (a comparison), LAG_KINDS picks dbsync and/or native.
 * - real lag per row: first moment MAX(id) on the target covered it - the source's NOW(6) at
 *   insert (same machine, same clock), as in bench/run.ts;
 * - reported: db-sync's `lagMs` from the status file the service publishes every second, and
 *   the replica's Seconds_Behind_Master from SHOW SLAVE STATUS, sampled every 250 ms while the
 *   load runs (db-sync: each published status once).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { startServer, type TestServer } from '../test/helpers/mariadb-server.js';
import { dbSyncHome, q } from './common.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = process.env.LAG_CLI ?? path.join(ROOT, 'dist/cli/main.js');
const KINDS = (process.env.LAG_KINDS ?? 'dbsync,native').split(',') as Array<'dbsync' | 'native'>;
const RATES = (process.env.LAG_RATES ?? '200,1000').split(',').map(Number);
const ROUNDS = Number(process.env.LAG_ROUNDS ?? 3);
const SECONDS = Number(process.env.LAG_SECONDS ?? 12);
const TABLE = 'CREATE TABLE lagt (id BIGINT AUTO_INCREMENT PRIMARY KEY, ts_src DATETIME(6) NOT NULL, pad VARCHAR(40))';

interface Published { state: string; lagMs: number | null; updatedAt: string }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

function stats(xs: number[]) {
  const v = [...xs].sort((a, b) => a - b);
  const pct = (p: number) => +(v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))] ?? NaN).toFixed(1);
  return { n: v.length, min: pct(0), p50: pct(50), p99: pct(99), max: pct(100), distinct: new Set(v).size,
    zeros: v.filter((x) => x === 0).length };
}

/** Single-row autocommit INSERTs at `rate`/s for SECONDS over 2 paced connections; returns the rate reached. */
async function write(src: TestServer, db: string, rate: number): Promise<number> {
  const open = () => mysql.createConnection({ host: '127.0.0.1', port: src.port, user: 'root', database: db });
  const conns = await Promise.all([open(), open()]);
  const per = rate / conns.length;
  const start = Date.now();
  let sent = 0;
  await Promise.all(conns.map(async (c) => {
    for (let i = 0; Date.now() < start + SECONDS * 1000; i++) {
      const due = start + (i * 1000) / per;
      if (due > Date.now()) await sleep(due - Date.now());
      await c.query("INSERT INTO lagt (ts_src, pad) VALUES (NOW(6), 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')");
      sent++;
    }
  }));
  await Promise.all(conns.map((c) => c.end()));
  return sent / ((Date.now() - start) / 1000);
}

/** Polls MAX(id) on the target (when each row became visible) and the reported lag, until stopped. */
async function watch(dst: TestServer, db: string, reported: () => Promise<number | null>) {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: dst.port, user: 'root', database: db });
  const seen: Array<[number, number]> = [];
  const reports: Array<[number, number]> = [];
  let stopped = false;
  const visible = (async () => {
    let last = 0;
    while (!stopped) {
      const [[r]] = (await c.query('SELECT MAX(id) AS m FROM lagt')) as unknown as [[{ m: number | null }]];
      const m = Number(r.m ?? 0);
      if (m > last) { seen.push([m, now()]); last = m; }
      await sleep(1);
    }
  })();
  const sampling = (async () => {
    while (!stopped) {
      const v = await reported();
      if (v !== null) reports.push([Date.now(), v]);
      await sleep(250);
    }
  })();
  const stop = async () => {
    stopped = true;
    await Promise.all([visible, sampling]);
    await c.end();
    return { seen, reports };
  };
  return { stop };
}

function realLags(src: TestServer, db: string, seen: Array<[number, number]>): number[] {
  const text = q(src, `SELECT id, UNIX_TIMESTAMP(ts_src) FROM ${db}.lagt ORDER BY id`);
  const rows = text.split('\n').map((l) => l.split('\t').map(Number) as [number, number]);
  const out: number[] = [];
  let j = 0;
  for (const [id, ts] of rows) {
    while (j < seen.length && seen[j]![0] < id) j++;
    if (j < seen.length) out.push(seen[j]![1] - ts * 1000);
  }
  return out;
}

async function run(kind: 'dbsync' | 'native', src: TestServer, dst: TestServer, rate: number, round: number) {
  const db = `lagr_${kind}_${rate}_${round}`;
  let stop = async () => undefined as unknown;
  let reported: () => Promise<number | null>;
  q(dst, `CREATE DATABASE ${db}`);
  q(dst, TABLE, db);
  if (kind === 'dbsync') {
    q(src, `CREATE DATABASE ${db}; USE ${db}; ${TABLE}`);
    const home = dbSyncHome(src, dst, db, db, 'db-sync-lagr-');
    const env = { ...process.env, DB_SYNC_HOME: home };
    const child = spawn(process.execPath, [CLI, 'service', 'start'], { env, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    const pair = () => {
      try {
        const doc = JSON.parse(readFileSync(path.join(home, 'status.json'), 'utf8')) as { pairs: Published[] };
        return doc.pairs[0];
      } catch { return undefined; }
    };
    while (pair()?.state !== 'streaming') await sleep(200);
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
    q(src, `CREATE DATABASE ${db}; USE ${db}; ${TABLE}`);
    await sleep(1000);
    const c = await mysql.createConnection({ host: '127.0.0.1', port: dst.port, user: 'root' });
    reported = async () => {
      const [[r]] = (await c.query('SHOW SLAVE STATUS')) as unknown as [[{ Seconds_Behind_Master: number | null }]];
      const sbm = r?.Seconds_Behind_Master;
      return sbm === null || sbm === undefined ? null : Number(sbm) * 1000;
    };
    stop = async () => { await c.end(); q(dst, 'STOP SLAVE'); };
  }
  const w = await watch(dst, db, reported);
  const from = Date.now() + 1500; // reports published once the load runs (db-sync's status file: every second)
  const achieved = await write(src, db, rate);
  const to = Date.now();
  const { seen, reports } = await w.stop();
  await stop();
  const inLoad = reports.filter(([t]) => t >= from && t <= to).map(([, v]) => v);
  const real = stats(realLags(src, db, seen));
  return { kind, rate, round, achieved: Math.round(achieved), real, reportedMs: stats(inLoad) };
}

async function main(): Promise<void> {
  const tmp = () => `--tmpdir=${mkdtempSync(path.join(os.tmpdir(), 'db-sync-lagr-tmp-'))}`;
  const [src, dst] = await Promise.all([
    startServer({ binlog: true, serverId: 1, label: 'lagr-src', extraArgs: [tmp()] }),
    startServer({ binlog: false, serverId: 2, label: 'lagr-dst', extraArgs: [tmp()] }),
  ]);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const rate of RATES) {
        for (const kind of KINDS) console.log(JSON.stringify(await run(kind, src, dst, rate, round)));
      }
    }
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
}

await main();
