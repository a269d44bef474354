/**
 * The data pipeline of one pair: binlog change capture (snapshot + stream) when the source
 * supports it, polling otherwise (mode auto), or as configured.
 */
import { checkCapabilities } from '../db/preflight.js';
import { resolveMode } from '../poll/mode.js';
import { runPolling } from '../poll/poll-runner.js';
import { runBinlogSync } from '../data/binlog-sync.js';
import type { PairContext } from './sync-pair.js';
import { tableFilter } from './table-filter.js';

export interface DataStepOptions {
  once: boolean;
  /** DDL seen in the stream: re-run the schema step for these tables, or fully ('all'). */
  onDdl: (tables: string[] | 'all') => Promise<void>;
  /** Forget checkpoints and copy all rows again (after BINLOG_PURGED / SOURCE_CHANGED). */
  resnapshot?: boolean;
}

/** Snapshot, then binlog streaming or polling. Returns on abort or, with `once`, when caught up. */
export async function runDataStep(ctx: PairContext, options: DataStepOptions): Promise<void> {
  const mode = await chooseMode(ctx);
  if (mode === 'poll') return runPolling(ctx, { once: options.once, onDdl: options.onDdl });
  const { pair, config } = ctx;
  await runBinlogSync({
    pairName: pair.name, source: ctx.source, target: ctx.target, inScope: tableFilter(pair),
    once: options.once, resnapshot: !!options.resnapshot,
    maxRetries: config.settings.maxRetries, retryDelay: config.settings.retryDelay,
    onDdl: options.onDdl,
    status: ctx.status, logger: ctx.logger.child({ pipeline: 'data' }), signal: ctx.signal,
    chunkRows: positiveInt(process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS),
  });
}

/** Tuning knob (snapshot rows per chunk); tests use small chunks to make a snapshot long. */
function positiveInt(text: string | undefined): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

async function chooseMode(ctx: PairContext): Promise<'binlog' | 'poll'> {
  if (ctx.pair.mode !== 'auto') return ctx.pair.mode;
  const chosen = resolveMode(ctx.pair, await checkCapabilities(ctx.source));
  if (chosen.mode === 'poll') {
    ctx.logger.warn({ reason: chosen.reason }, 'binlog capture not possible on the source; using polling');
    ctx.status.update({ warnings: [...ctx.status.current().warnings, chosen.reason] });
  }
  return chosen.mode;
}
