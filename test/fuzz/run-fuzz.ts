/**
 * One fuzz run: servers, the seeded workload (started before db-sync, so the snapshot runs
 * concurrently with DML and DDL), db-sync's `sync run` with seeded kills, the catch-up of
 * both replicas, and the comparison of the native replica with the db-sync target.
 * With --pairs K >= 2: K source databases fz1..fzK, each with the workload of its own derived
 * seed, K pairs in one service (the shared binlog reader), each target database compared with
 * the replica's copy of its source database.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { startCluster, waitReplica, type Cluster } from './cluster.js';
import { compare } from './compare.js';
import { sourceEnd, waitDbSync } from './catchup.js';
import { DbSync, killSchedule } from './dbsync.js';
import type { FuzzOptions } from './options.js';
import { Rng } from './prng.js';
import { FUZZ_DB, Workload, type WorkloadStats } from './workload.js';

export type Outcome = 'ok' | 'DIVERGED' | 'LOUD_STOP' | 'TIMEOUT' | 'ORACLE_FAILED' | 'ERROR';

export interface FuzzResult {
  seed: number;
  outcome: Outcome;
  durationSec: number;
  stats: WorkloadStats;
  kills: number;
  /** Runners frozen and woken after another took the pair over (dbsync.ts, KillPlan freeze). */
  freezes: number;
  tables: number;
  details: string[];
  documented: string[];
  /** Datadirs and the db-sync home kept for a failing run. */
  kept: string[];
  /** The number of pairs (source databases). */
  pairs: number;
  /** With pairs >= 2: where each pair read, from `status --json` binlogReader ("fz1=own,shared ..."). */
  readers?: string;
  /** With pairs >= 2: every pair was seen on the shared reader. */
  sharedReader?: boolean;
}

/** The source databases of a run: FUZZ_DB for one pair, fz1..fzK for K. */
export function fuzzDbs(pairs: number): string[] {
  return pairs <= 1 ? [FUZZ_DB] : Array.from({ length: pairs }, (_, i) => `${FUZZ_DB}${i + 1}`);
}

/** The workload seed of database i: the run's seed for one pair, else one derived from it. */
export function dbSeed(seed: number, pairs: number, i: number): number {
  return pairs <= 1 ? seed : Rng.derive(seed, `pair-${i + 1}`).int(0, 2 ** 31 - 1);
}

/** All workloads' statistics added up. */
function sumStats(list: Workload[]): WorkloadStats {
  const out: WorkloadStats = { txns: 0, ddl: 0, errors: 0, errorCodes: {} };
  for (const { stats: s } of list) {
    out.txns += s.txns;
    out.ddl += s.ddl;
    out.errors += s.errors;
    for (const [k, n] of Object.entries(s.errorCodes)) out.errorCodes[k] = (out.errorCodes[k] ?? 0) + n;
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stdout = (line: string) => process.stdout.write(`${line}\n`);

export async function runFuzz(o: FuzzOptions, print: (line: string) => void = stdout): Promise<FuzzResult> {
  const started = Date.now();
  const pairs = o.pairs ?? 1;
  const dbs = fuzzDbs(pairs);
  print(`fuzz seed=${o.seed} duration=${o.durationSec}s kill=${o.kill} features=${o.features.join(',')}`
    + (pairs > 1 ? ` pairs=${pairs} (${dbs.map((db, i) => `${db}:seed ${dbSeed(o.seed, pairs, i)}`).join(', ')})` : ''));
  const cluster = await startCluster(dbs);
  const workloads = dbs.map((db, i) =>
    new Workload(cluster.source.port, dbSeed(o.seed, pairs, i), o.features, o.workers, db));
  const sync = new DbSync(o.kill ? killSchedule(o.seed, o.maxKills, o.features.includes('ddl'), dbs.length > 1) : [],
    dbs);
  const result: FuzzResult = {
    seed: o.seed, outcome: 'ok', durationSec: 0, stats: sumStats(workloads), kills: 0, freezes: 0, tables: 0,
    details: [], documented: [], kept: [], pairs,
  };
  try {
    for (const w of workloads) await w.setup();
    await sync.configure(cluster.source, cluster.target);
    // one pair: the duration counts from the run's start (servers included), as it always did;
    // several: from the workload's start, so a slow start-up on a busy machine leaves the
    // shared reader a streaming phase to run in
    const from = pairs > 1 ? Date.now() : started;
    for (const w of workloads) w.start();
    await sleep(Math.min(3000, o.durationSec * 200));
    sync.start();
    await sleep(Math.max(0, o.durationSec * 1000 - (Date.now() - from)));
    await Promise.all(workloads.map((w) => w.stop()));
    sync.finish();
    const s = result.stats = sumStats(workloads);
    print(`workload stopped: ${s.txns} transactions, ${s.ddl} DDL, ${s.errors} failed statements; catching up`);
    await finish(cluster, sync, o, result);
  } catch (err) {
    result.outcome = 'ERROR';
    result.details.push(String((err as Error).stack ?? err));
  } finally {
    await Promise.all(workloads.map((w) => w.stop().catch(() => undefined)));
    await sync.stop().catch(() => undefined);
    result.stats = sumStats(workloads);
    result.kills = sync.kills;
    result.freezes = sync.freezes;
    if (sync.service) {
      const r = sync.readerSummary();
      result.readers = r.line;
      result.sharedReader = r.allShared;
    }
    const failed = result.outcome !== 'ok';
    result.kept = await cluster.stop(failed || !!o.keep);
    if (failed || o.keep) result.kept.push(sync.home);
    else sync.cleanUp();
  }
  result.durationSec = Math.round((Date.now() - started) / 1000);
  report(o, result, print);
  return result;
}

async function finish(cluster: Cluster, sync: DbSync, o: FuzzOptions, result: FuzzResult): Promise<void> {
  const replicaProblem = await waitReplica(cluster, 600);
  if (replicaProblem) {
    result.outcome = 'ORACLE_FAILED';
    result.details.push(replicaProblem);
    return;
  }
  const src = await cluster.source.connect();
  const tgt = await cluster.target.connect();
  const rep = await cluster.replica.connect();
  try {
    if (!sync.running && !sync.loudStop) sync.start();
    const end = await sourceEnd(src);
    const deadline = Date.now() + 600_000;
    for (const db of sync.dbs) {
      const left = Math.max(1, Math.round((deadline - Date.now()) / 1000));
      const lag = await waitDbSync(tgt, db, end, sync, left, sync.pairOf(db));
      if (lag) {
        result.outcome = sync.loudStop ? 'LOUD_STOP' : 'TIMEOUT';
        result.details.push(sync.service ? `pair ${sync.pairOf(db)}: ${lag}` : lag);
        return;
      }
    }
    await sync.stop();
    const log = readFileSync(sync.logFile, 'utf8');
    for (const db of sync.dbs) {
      const v = await compare(rep, tgt, db, log);
      const name = (d: string) => (sync.service ? `pair ${sync.pairOf(db)} (database ${db}): ${d}` : d);
      result.tables += v.tables;
      result.documented.push(...v.documented.map(name));
      if (v.divergences.length) {
        result.outcome = 'DIVERGED';
        result.details.push(...v.divergences.map(name));
      }
    }
  } finally {
    await Promise.all([src.end(), tgt.end(), rep.end()]);
  }
}

function report(o: FuzzOptions, r: FuzzResult, print: (line: string) => void): void {
  for (const d of r.details) print(d);
  for (const d of r.documented) print(`documented limitation: ${d}`);
  const codes = Object.entries(r.stats.errorCodes).sort((a, b) => b[1] - a[1]).slice(0, 4)
    .map(([k, n]) => `${k}:${n}`).join(' ');
  if (r.kept.length) print(`kept for inspection: ${r.kept.join(' ')}`);
  print(`fuzz seed=${r.seed} duration=${r.durationSec}s transactions=${r.stats.txns} ddl=${r.stats.ddl}`
    + ` kills=${r.kills}${r.freezes ? ` freezes=${r.freezes}` : ''}`
    + (r.pairs > 1 ? ` pairs=${r.pairs} shared-reader=${r.sharedReader ? 'yes' : 'NO'} (${r.readers})` : '')
    + ` tables=${r.tables} source-errors=${r.stats.errors} (${codes}) result=${r.outcome}`);
  if (o.log) {
    const line = [new Date().toISOString(), r.seed, o.features.join(','), o.kill ? 'kill' : 'nokill', r.durationSec,
      ...(r.pairs > 1 ? [`pairs=${r.pairs}`, `shared=${r.sharedReader ? 'yes' : 'no'}`] : []), r.stats.txns, r.stats.ddl, r.kills, r.outcome, (r.details[0] ?? '').split('\n')[0]?.slice(0, 200) ?? '']
      .join('\t');
    appendFileSync(o.log, `${line}\n`);
  }
}
