import type { Command } from 'commander';
import { LOG_LEVELS, type LogLevel } from '../../core/config/schema.js';
import { SyncError } from '../../core/errors.js';
import { flushLogger } from '../../core/log.js';
import { createStatusSink, type PairStatus } from '../../core/status.js';
import { pairContext, runPair } from '../../core/pair/sync-pair.js';
import { action } from '../run.js';
import { commandLogger, openStore, shutdownSignal } from '../context.js';

function progressLine(s: PairStatus): string | null {
  if (s.state === 'snapshot' && s.snapshot) {
    const p = s.snapshot;
    const eta = p.etaSec === null ? '?' : `${Math.round(p.etaSec)}s`;
    return `snapshot ${p.table ?? '(starting)'} ${p.rowsDone}/${p.rowsTotal} rows (${p.percent.toFixed(1)}%) `
      + `${Math.round(p.rowsPerSec)} rows/s ETA ${eta}`;
  }
  return null;
}

/** Progress on stderr: at most one line a second while the snapshot runs, and a last line. */
function progressPrinter(): { onStatus: (s: PairStatus) => void; finish: () => void } {
  let lastPrint = 0;
  let snapshot: PairStatus['snapshot'] = null;
  let started = 0;
  const finish = () => {
    if (!snapshot) return;
    const secs = (Date.now() - started) / 1000;
    const tables = `${snapshot.tablesTotal} tables`;
    process.stderr.write(`snapshot done: ${snapshot.rowsDone} rows, ${tables} in ${secs.toFixed(1)}s\n`);
    snapshot = null;
  };
  const onStatus = (s: PairStatus) => {
    const line = progressLine(s);
    if (line) {
      if (!snapshot) started = Date.now();
      snapshot = s.snapshot;
      if (Date.now() - lastPrint > 1000) {
        lastPrint = Date.now();
        process.stderr.write(`${line}\n`);
      }
    } else if (s.state !== 'snapshot') finish();
  };
  return { onStatus, finish };
}

function logLevelOf(value: string | undefined, fallback: LogLevel): LogLevel {
  if (value === undefined) return fallback;
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  const expected = LOG_LEVELS.join(', ');
  throw new SyncError('INVALID_INPUT', `--log-level: expected one of ${expected}, got ${JSON.stringify(value)}`, {
    hint: `Use --log-level ${LOG_LEVELS.join('|')}.`,
  });
}

function recopyList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const tables = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!tables.length) {
    throw new SyncError('INVALID_INPUT', '--recopy: expected table names separated by commas', {
      hint: 'For example: --recopy orders,order_items',
    });
  }
  return tables;
}

export function registerSyncRunCommand(sync: Command): void {
  sync
    .command('run')
    .description('Run one pair in the foreground: schema, snapshot, then stream until SIGINT/SIGTERM '
      + '(or exit with --once)')
    .argument('<pair>', 'sync pair name')
    .option('--once', 'catch up to the source position as of now, then exit 0')
    .option('--resnapshot',
      'forget the data checkpoint and copy all rows again (after BINLOG_PURGED or SOURCE_CHANGED)')
    .option('--recopy <tables>', 'copy these tables again (comma-separated) from the current checkpoint on, '
      + 'e.g. after BINLOG_STATEMENT_DML')
    .option('--log-level <level>', `log level for this run (${LOG_LEVELS.join('|')})`)
    .action(action(async (name: string,
      opts: { once?: boolean; resnapshot?: boolean; recopy?: string; logLevel?: string }) => {
      const store = openStore();
      const config = store.load();
      const logger = commandLogger(store, logLevelOf(opts.logLevel, config.settings.logLevel), { stderr: true });
      const progress = progressPrinter();
      const status = createStatusSink(name, true, progress.onStatus);
      const signal = shutdownSignal((sig) => logger.info({ sig }, 'stopping'));
      const ctx = pairContext(config, name, { logger: logger.child({ pair: name }), signal, status });
      try {
        await runPair(ctx, { once: !!opts.once, resnapshot: !!opts.resnapshot, recopy: recopyList(opts.recopy) });
        progress.finish();
        logger.info({ pair: name, totals: status.current().totals }, opts.once ? 'caught up; exiting' : 'stopped');
      } finally {
        await flushLogger(logger);
      }
      return 0;
    }));
}
