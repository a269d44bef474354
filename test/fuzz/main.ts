/**
 * The differential fuzzer (issue 9): native MariaDB replication is the oracle for db-sync.
 * `npm run fuzz -- [--seed N] [--duration S] [--kill] [--max-kills K] [--features a,b,...] [--pairs K]`
 * (--pairs K >= 2: K databases and pairs in one service on the shared binlog reader; exit 1 names the pair)
 * Exit 0: the target equals the replica; 1: a divergence, a loud stop or a timeout (the seed
 * and the kept datadirs are printed); 2: bad options.
 */
import { parseOptions } from './options.js';
import { runFuzz } from './run-fuzz.js';

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
const result = await runFuzz(options);
process.exit(result.outcome === 'ok' ? 0 : 1);
