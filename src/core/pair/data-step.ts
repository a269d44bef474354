/**
 * The data pipeline of one pair: binlog change capture (snapshot + stream) when the source
 * supports it, polling otherwise (mode auto), or as configured.
 */
import { checkCapabilities } from '../db/preflight.js';
import { SyncError } from '../errors.js';
import { runBinlogSync } from '../data/binlog-sync.js';
import { listSyncedTables } from '../db/table-info.js';
import { closeQuietly, openConnection } from '../db/connection.js';
import type { PairContext } from './sync-pair.js';
import { tableFilter } from './table-filter.js';

export interface DataStepOptions {
  once: boolean;
  onDdl: (tables: string[]) => Promise<void>;
  /** Forget checkpoints and copy all rows again (after BINLOG_PURGED / SOURCE_CHANGED). */
  resnapshot?: boolean;
}

/** Snapshot, then binlog streaming or polling. Returns on abort or, with `once`, when caught up. */
export async function runDataStep(ctx: PairContext, options: DataStepOptions): Promise<void> {
  const mode = await resolveMode(ctx);
  if (mode === 'poll') return runPoll(ctx, options);
  const { pair, config } = ctx;
  await runBinlogSync({
    pairName: pair.name, source: ctx.source, target: ctx.target, inScope: tableFilter(pair),
    once: options.once, resnapshot: !!options.resnapshot,
    maxRetries: config.settings.maxRetries, retryDelay: config.settings.retryDelay,
    onDdl: async (tables) => options.onDdl(tables === 'all' ? await sourceTables(ctx) : tables),
    status: ctx.status, logger: ctx.logger.child({ pipeline: 'data' }), signal: ctx.signal,
    chunkRows: positiveInt(process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS),
  });
}

/** Tuning knob (snapshot rows per chunk); tests use small chunks to make a snapshot long. */
function positiveInt(text: string | undefined): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

async function resolveMode(ctx: PairContext): Promise<'binlog' | 'poll'> {
  if (ctx.pair.mode === 'binlog' || ctx.pair.mode === 'poll') return ctx.pair.mode;
  const caps = await checkCapabilities(ctx.source);
  if (caps.binlogUsable) return 'binlog';
  ctx.logger.warn({ problems: caps.binlogProblems }, 'binlog capture not possible on the source; using polling');
  ctx.status.update({ warnings: [...ctx.status.current().warnings, `polling instead of binlog: ${caps.binlogProblems.join('; ')}`] });
  return 'poll';
}

async function sourceTables(ctx: PairContext): Promise<string[]> {
  const db = await openConnection(ctx.source);
  try {
    return await listSyncedTables(db, ctx.source.database, tableFilter(ctx.pair));
  } finally {
    await closeQuietly(db);
  }
}

interface PollModule { runPolling(ctx: PairContext, o: { once: boolean }): Promise<void> }

/** Polling lives in core/poll (another area); loaded lazily so this builds without it. */
async function runPoll(ctx: PairContext, options: DataStepOptions): Promise<void> {
  ctx.status.update({ mode: 'poll' });
  const path = '../poll/poll-runner.js';
  let mod: PollModule;
  try {
    mod = (await import(path)) as PollModule;
  } catch (err) {
    throw new SyncError('NOT_IMPLEMENTED', 'polling mode is not available in this build', { cause: err, hint: 'Use a source with a ROW binlog (mode "binlog").' });
  }
  await mod.runPolling(ctx, { once: options.once });
}
