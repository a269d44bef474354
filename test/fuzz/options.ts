/**
 * `npm run fuzz -- [--seed N] [--duration S] [--kill] [--max-kills K] [--features a,b] [--workers N] [--pairs K]
 *   [--log FILE]`
 */
import { FEATURE_NAMES, type FeatureName } from './features/common.js';

export interface FuzzOptions {
  seed: number;
  /** Seconds of workload (db-sync starts a few seconds in, during it). */
  durationSec: number;
  kill: boolean;
  maxKills: number;
  features: FeatureName[];
  /** DML workers per source database. */
  workers: number;
  /**
   * 1 (default): one database, one pair, `sync run`. K >= 2: K source databases (each its own
   * derived seed), K pairs to K target databases, all in one `service start` (the shared reader).
   */
  pairs?: number;
  /** Append one line per run to this TSV file. */
  log?: string;
  /** Keep the servers' datadirs even when the run passes. */
  keep?: boolean;
}

export const DEFAULT_FEATURES: FeatureName[] = [...FEATURE_NAMES];

export function parseOptions(argv: string[]): FuzzOptions {
  const o: FuzzOptions = {
    seed: Math.floor(Math.random() * 2 ** 31), durationSec: 60, kill: false, maxKills: 6,
    features: DEFAULT_FEATURES, workers: 4, pairs: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--seed') o.seed = int(flag, value());
    else if (flag === '--duration') o.durationSec = int(flag, value());
    else if (flag === '--kill') o.kill = true;
    else if (flag === '--max-kills') o.maxKills = int(flag, value());
    else if (flag === '--workers') o.workers = int(flag, value());
    else if (flag === '--pairs') o.pairs = Math.max(1, int(flag, value()));
    else if (flag === '--log') o.log = value();
    else if (flag === '--keep') o.keep = true;
    else if (flag === '--features') o.features = features(value());
    else throw new Error(`unknown option ${flag} (see test/fuzz/options.ts)`);
  }
  return o;
}

function int(flag: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new Error(`${flag}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function features(v: string): FeatureName[] {
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(FEATURE_NAMES as readonly string[]).includes(n));
  if (bad.length || !names.length) {
    throw new Error(`--features: unknown ${bad.join(', ') || '(none given)'}; known: ${FEATURE_NAMES.join(', ')}`);
  }
  return names as FeatureName[];
}
