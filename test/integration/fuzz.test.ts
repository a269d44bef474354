/**
 * The differential fuzzer in CI (issue 9): one fixed seed, about a minute of workload with
 * every default feature and kill -9s of db-sync, then the native replica and the db-sync
 * target must be equal (SHOW CREATE TABLE and CHECKSUM TABLE of every table). A failing run
 * prints the seed and keeps the datadirs; `npm run fuzz -- --seed N --kill` replays it.
 * With --pairs 2: two source databases, two pairs in one service sharing the binlog reader
 * (binlog-hub.ts), each target database equal to the replica's copy of its source database.
 * FREEZE_SEED's schedule starts with a freeze (dbsync.ts): two runners of one pair, the first
 * one woken after the second took the pair over.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURES, type FuzzOptions } from '../fuzz/options.js';
import { runFuzz } from '../fuzz/run-fuzz.js';

const SEED = 20261130;
/** A seed whose first kill plan is a freeze (after 2.2 s, woken 1 s after the second runner starts). */
const FREEZE_SEED = 16019;

/** One fuzz run with every default feature and kill -9s; it must end equal to the replica. */
async function fuzzed(o: Pick<FuzzOptions, 'seed' | 'durationSec' | 'maxKills' | 'workers' | 'pairs'>) {
  const lines: string[] = [];
  const result = await runFuzz({ ...o, kill: true, features: DEFAULT_FEATURES }, (line) => lines.push(line));
  const summary = lines.join('\n');
  expect(result.outcome, summary).toBe('ok');
  expect(result.details, summary).toEqual([]);
  return { result, summary };
}

describe('differential fuzzing against a native replica', () => {
  it('keeps the target equal to a native replica under a seeded workload with kill -9s', async () => {
    const { result, summary } = await fuzzed({ seed: SEED, durationSec: 60, maxKills: 4, workers: 3 });
    // the run did what it is for: transactions, DDL and kills happened, tables were compared
    expect(result.stats.txns, summary).toBeGreaterThan(500);
    expect(result.stats.ddl, summary).toBeGreaterThan(10);
    expect(result.kills, summary).toBeGreaterThan(0);
    expect(result.tables, summary).toBeGreaterThan(10);
  }, 900_000);

  it('keeps each target database equal to the replica with two pairs on one shared binlog reader', async () => {
    const { result, summary } = await fuzzed({ seed: SEED + 2, durationSec: 40, maxKills: 3, workers: 2, pairs: 2 });
    expect(result.pairs, summary).toBe(2);
    // the pairs did run on the shared reader (status --json binlogReader, or the service log)
    expect(result.sharedReader, summary).toBe(true);
    expect(result.stats.txns, summary).toBeGreaterThan(500);
    expect(result.kills, summary).toBeGreaterThan(0);
    expect(result.tables, summary).toBeGreaterThan(20);
  }, 900_000);

  it('keeps the target equal to the replica when a frozen runner wakes after another took the pair over', async () => {
    const { result, summary } = await fuzzed({ seed: FREEZE_SEED, durationSec: 40, maxKills: 2, workers: 2 });
    expect(result.freezes, summary).toBe(1);
    expect(result.stats.txns, summary).toBeGreaterThan(500);
    expect(result.tables, summary).toBeGreaterThan(10);
  }, 900_000);
});
