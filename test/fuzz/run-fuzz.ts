/**
 * One fuzz run: servers, the seeded workload (started before db-sync, so the snapshot runs
 * concurrently with DML and DDL), db-sync's `sync run` with seeded kills, the catch-up of
 * both replicas, and the comparison of the native replica with the db-sync target.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { startCluster, waitReplica, type Cluster } from './cluster.js';
import { compare } from './compare.js';
import { sourceEnd, waitDbSync } from './catchup.js';
import { DbSync, killSchedule } from './dbsync.js';
import type { FuzzOptions } from './options.js';
import { FUZZ_DB, Workload, type WorkloadStats } from './workload.js';

export type Outcome = 'ok' | 'DIVERGED' | 'LOUD_STOP' | 'TIMEOUT' | 'ORACLE_FAILED' | 'ERROR';

export interface FuzzResult {
  seed: number;
  outcome: Outcome;
  durationSec: number;
  stats: WorkloadStats;
  kills: number;
  tables: number;
  details: string[];
  documented: string[];
  /** Datadirs and the db-sync home kept for a failing run. */
  kept: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stdout = (line: string) => process.stdout.write(`${line}\n`);

export async function runFuzz(o: FuzzOptions, print: (line: string) => void = stdout): Promise<FuzzResult> {
  const started = Date.now();
  print(`fuzz seed=${o.seed} duration=${o.durationSec}s kill=${o.kill} features=${o.features.join(',')}`);
  const cluster = await startCluster();
  const workload = new Workload(cluster.source.port, o.seed, o.features, o.workers);
  const sync = new DbSync(o.kill ? killSchedule(o.seed, o.maxKills, o.features.includes('ddl')) : []);
  const result: FuzzResult = {
    seed: o.seed, outcome: 'ok', durationSec: 0, stats: workload.stats, kills: 0, tables: 0,
    details: [], documented: [], kept: [],
  };
  try {
    await workload.setup();
    await sync.configure(cluster.source, cluster.target);
    workload.start();
    await sleep(Math.min(3000, o.durationSec * 200));
    sync.start();
    await sleep(Math.max(0, o.durationSec * 1000 - (Date.now() - started)));
    await workload.stop();
    sync.finish();
    const s = workload.stats;
    print(`workload stopped: ${s.txns} transactions, ${s.ddl} DDL, ${s.errors} failed statements; catching up`);
    await finish(cluster, sync, o, result);
  } catch (err) {
    result.outcome = 'ERROR';
    result.details.push(String((err as Error).stack ?? err));
  } finally {
    await workload.stop().catch(() => undefined);
    await sync.stop().catch(() => undefined);
    result.kills = sync.kills;
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
    const lag = await waitDbSync(tgt, FUZZ_DB, await sourceEnd(src), sync, 600);
    if (lag) {
      result.outcome = sync.loudStop ? 'LOUD_STOP' : 'TIMEOUT';
      result.details.push(lag);
      return;
    }
    await sync.stop();
    const v = await compare(rep, tgt, FUZZ_DB, readFileSync(sync.logFile, 'utf8'));
    result.tables = v.tables;
    result.documented = v.documented;
    if (v.divergences.length) {
      result.outcome = 'DIVERGED';
      result.details.push(...v.divergences);
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
    + ` kills=${r.kills}`
    + ` tables=${r.tables} source-errors=${r.stats.errors} (${codes}) result=${r.outcome}`);
  if (o.log) {
    const line = [new Date().toISOString(), r.seed, o.features.join(','), o.kill ? 'kill' : 'nokill', r.durationSec,
      r.stats.txns, r.stats.ddl, r.kills, r.outcome, (r.details[0] ?? '').split('\n')[0]?.slice(0, 200) ?? '']
      .join('\t');
    appendFileSync(o.log, `${line}\n`);
  }
}
