/**
 * Benchmark (not a test): `npm run bench:lag`. Change-stream lag of db-sync next to native
 * MariaDB replication (bench/lag.ts has the loads and what is measured), same servers, same
 * run, LAG_ROUNDS rounds (default 3): single-row INSERTs at LAG_RATES per second (default
 * 1000,5000) for LAG_SECONDS (default 12), and the multi-statement load for LAG_MULTI_SECONDS
 * (default 40), each after LAG_WARMUP_SECONDS (default 5) of the same load. The summary gives
 * p50/p99/p999 and db-sync / native per level, with the spread over the rounds.
 * LAG_CLI runs another build (a comparison), LAG_KINDS picks dbsync and/or native (and `dbsyncB`, a second
 * db-sync run in each round with LAG_B_CLI / LAG_B_NODE_ARGS instead: an A/B in one run), LAG_LEVELS
 * the levels (rates and/or `multi`), LAG_TRACE=dir makes db-sync write where its lag goes
 * (src/core/data/lag-trace.ts) to dir/<db>.json, LAG_NODE_ARGS are node options for db-sync (--cpu-prof ...),
 * LAG_CHILD_LOG=dir keeps db-sync's stdout and stderr in dir/<db>.log (with LAG_NODE_ARGS=--trace-gc, say).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../test/helpers/mariadb-server.js';
import { lagRound, lagSummary, type Kind, type LagResult, type LagSettings } from './lag.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = process.env.LAG_CLI ?? path.join(ROOT, 'dist/cli/main.js');
const KINDS = (process.env.LAG_KINDS ?? 'dbsync,native').split(',') as Kind[];
const LEVELS = (process.env.LAG_LEVELS ?? `${process.env.LAG_RATES ?? '1000,5000'},multi`).split(',');
const ROUNDS = Number(process.env.LAG_ROUNDS ?? 3);
const args = (v: string | undefined) => (v ?? '').split(' ').filter(Boolean);
const SETTINGS: LagSettings = {
  seconds: Number(process.env.LAG_SECONDS ?? 12),
  multiSeconds: Number(process.env.LAG_MULTI_SECONDS ?? 40),
  warmupSeconds: Number(process.env.LAG_WARMUP_SECONDS ?? 5),
  runs: {
    dbsync: { cli: CLI, nodeArgs: args(process.env.LAG_NODE_ARGS) },
    dbsyncB: { cli: process.env.LAG_B_CLI ?? CLI, nodeArgs: args(process.env.LAG_B_NODE_ARGS) },
  },
  trace: process.env.LAG_TRACE,
  childLog: process.env.LAG_CHILD_LOG,
};

async function main(): Promise<void> {
  const tmp = () => `--tmpdir=${mkdtempSync(path.join(os.tmpdir(), 'db-sync-lagr-tmp-'))}`;
  const [src, dst] = await Promise.all([
    startServer({ binlog: true, serverId: 1, label: 'lagr-src', extraArgs: [tmp()] }),
    startServer({ binlog: false, serverId: 2, label: 'lagr-dst', extraArgs: [tmp()] }),
  ]);
  try {
    const results: LagResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const level of LEVELS) {
        for (const kind of KINDS) {
          const r = await lagRound(kind, src, dst, level, round, SETTINGS);
          console.log(JSON.stringify(r));
          results.push(r);
        }
      }
    }
    lagSummary(results, LEVELS, KINDS);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
}

await main();
