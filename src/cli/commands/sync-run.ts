import type { Command } from 'commander';
import { LOG_LEVELS, type LogLevel } from '../../core/config/schema.js';
import { flushLogger } from '../../core/log.js';
import { createStatusSink, type PairStatus } from '../../core/pair/status.js';
import { pairContext, runPair } from '../../core/pair/sync-pair.js';
import { action } from '../run.js';
import { commandLogger, openStore, shutdownSignal } from '../context.js';

function progressLine(s: PairStatus): string | null {
  if (s.state === 'snapshot' && s.snapshot) {
    const p = s.snapshot;
    const eta = p.etaSec === null ? '?' : `${Math.round(p.etaSec)}s`;
    return `snapshot ${p.table ?? ''} ${p.rowsDone}/${p.rowsTotal} rows (${p.percent.toFixed(1)}%) ${Math.round(p.rowsPerSec)} rows/s ETA ${eta}`;
  }
  return null;
}

export function registerSyncRunCommand(sync: Command): void {
  sync
    .command('run')
    .description('Run one pair in the foreground: schema, snapshot, then stream until SIGINT/SIGTERM (or exit with --once)')
    .argument('<pair>', 'sync pair name')
    .option('--once', 'catch up to the source position as of now, then exit 0')
    .option('--resnapshot', 'forget the data checkpoint and copy all rows again (after BINLOG_PURGED or SOURCE_CHANGED)')
    .option('--log-level <level>', `log level for this run (${LOG_LEVELS.join('|')})`)
    .action(action(async (name: string, opts: { once?: boolean; resnapshot?: boolean; logLevel?: string }) => {
      const store = openStore();
      const config = store.load();
      const level = (opts.logLevel ?? config.settings.logLevel) as LogLevel;
      const logger = commandLogger(store, level, { stderr: true });
      let lastPrint = 0;
      const status = createStatusSink(name, true, (s) => {
        const line = progressLine(s);
        if (line && Date.now() - lastPrint > 1000) {
          lastPrint = Date.now();
          process.stderr.write(`${line}\n`);
        }
      });
      const signal = shutdownSignal((sig) => logger.info({ sig }, 'stopping'));
      const ctx = pairContext(config, name, { logger: logger.child({ pair: name }), signal, status });
      try {
        await runPair(ctx, { once: !!opts.once, resnapshot: !!opts.resnapshot });
        logger.info({ pair: name, totals: status.current().totals }, opts.once ? 'caught up; exiting' : 'stopped');
      } finally {
        await flushLogger(logger);
      }
      return 0;
    }));
}
