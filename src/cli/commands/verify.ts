import type { Command } from 'commander';
import { SyncError } from '../../core/errors.js';
import { flushLogger } from '../../core/log.js';
import { pairContext } from '../../core/pair/sync-pair.js';
import { createStatusSink } from '../../core/pair/status.js';
import { renderReport } from '../../core/verify/render-report.js';
import { verifyPair } from '../../core/verify/verify-pair.js';
import { action, CliExit, printError } from '../run.js';
import { commandLogger, openStore, shutdownSignal } from '../context.js';

interface VerifyFlags {
  table?: string[];
  repair?: boolean;
  json?: boolean;
  sleepRatio: string;
  examples: string;
  chunkTime: string;
  recheck: boolean;
  hash: string;
}

function num(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new SyncError('INVALID_ARGUMENT', `${flag} expects a number >= ${min}, got "${value}"`, { hint: `e.g. ${flag} ${min === 0 ? '0.5' : '500'}` });
  return n;
}

function hashFlag(value: string): 'auto' | 'crc' | 'md5' {
  if (value === 'auto' || value === 'crc' || value === 'md5') return value;
  throw new SyncError('INVALID_ARGUMENT', `--hash expects auto, crc or md5, got "${value}"`, { hint: 'e.g. --hash md5' });
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('Compare source and target by chunked checksums (exit 0 equal, 1 differences, 2 error)')
    .argument('<pair>', 'sync pair name')
    .option('--table <name...>', 'only these tables')
    .option('--repair', 'make the target equal for the differing rows')
    .option('--json', 'machine-readable output')
    .option('--sleep-ratio <r>', 'throttle source reads: sleep r x each query\'s duration after it (0.5 = source busy at most 2/3 of the time)', '0')
    .option('--examples <n>', 'example keys shown per kind of difference', '10')
    .option('--chunk-time <ms>', 'target duration of one chunk checksum', '500')
    .option('--hash <algo>', 'chunk row hash: auto (crc where both servers have CRC32C, else md5), crc, md5 (64-bit, slower)', 'auto')
    .option('--no-recheck', 'report differing chunks at once instead of re-checking them with backoff (only when nothing writes)')
    .action(action(async (name: string, flags: VerifyFlags) => {
      try {
        return await runVerify(name, flags);
      } catch (err) {
        // Exit 1 means "differences" here, so errors exit 2.
        if (err instanceof CliExit) throw err;
        printError(err);
        return 2;
      }
    }));
}

async function runVerify(name: string, flags: VerifyFlags): Promise<number> {
  const store = openStore();
  const config = store.load();
  const logger = commandLogger(store, config.settings.logLevel, { stderr: false });
  const signal = shutdownSignal();
  const ctx = pairContext(config, name, { logger, signal, status: createStatusSink(name) });
  try {
    const report = await verifyPair(ctx, {
      tables: flags.table, repair: !!flags.repair, sleepRatio: num(flags.sleepRatio, '--sleep-ratio', 0),
      maxExamples: num(flags.examples, '--examples', 0), chunkTimeMs: num(flags.chunkTime, '--chunk-time', 1),
      ...(flags.recheck ? {} : { recheckDelays: [] }), hash: hashFlag(flags.hash), logger, signal,
    });
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReport(report)}\n`);
    if (report.tables.some((t) => t.status === 'error')) throw new CliExit(2);
    return report.equal ? 0 : 1;
  } finally {
    await flushLogger(logger);
  }
}
