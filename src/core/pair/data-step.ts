/**
 * The data pipeline of one pair: binlog change capture (snapshot + stream) when the source
 * supports it, polling otherwise (mode auto), or as configured. The schema step runs where
 * each mode needs it: before polling; inside the binlog engine (a new pair gets the source's
 * schema under the pair's lock, then table DDL is replayed from the binlog and programmable
 * objects are re-synced when the stream changes them).
 */
import { checkCapabilities, type Capabilities } from '../preflight.js';
import { resolveMode } from '../poll/mode.js';
import { runPolling } from '../poll/poll-runner.js';
import { runBinlogSync, type SchemaHooks } from '../data/orchestrator.js';
import type { StandbyPolicy } from '../data/standby.js';
import type { PipelineContext as PairContext } from '../pipeline.js';
import { tableFilter } from '../table-filter.js';
import { runSchemaStep, syncSchema } from './schema-step.js';
import { guardSettings, reportTo } from '../guard/source-guard.js';
import { underPairLock } from './pair-lock.js';
import { SyncError } from '../errors.js';

export interface DataStepOptions {
  once: boolean;
  /** Forget checkpoints and copy all rows again (after BINLOG_PURGED / SOURCE_CHANGED). */
  resnapshot?: boolean;
  /** Copy these tables again from the current checkpoint on. */
  recopy?: string[];
  /** Wait while another runner holds the pair instead of failing with PAIR_LOCKED (the service; every mode). */
  standby?: StandbyPolicy;
}

/** Snapshot, then binlog streaming or polling. Returns on abort or, with `once`, when caught up. */
export async function runDataStep(ctx: PairContext, options: DataStepOptions): Promise<void> {
  const { mode, capabilities } = await chooseMode(ctx);
  const { pair, config } = ctx;
  if (mode === 'poll') {
    return underPairLock(ctx, options.standby, async (locked) => {
      if (pair.schema || pair.routines) {
        locked.status.update({ state: 'schema' });
        await runSchemaStep(locked, {});
      }
      await runPolling(locked, { once: options.once, onDdl: (tables) => runSchemaStep(locked, { tables }) });
    });
  }
  await runBinlogSync({
    pairName: pair.name, source: ctx.source, capabilities, target: ctx.target, inScope: tableFilter(pair),
    replayDdl: pair.schema, syncObjects: pair.routines, schema: schemaHooks(ctx),
    once: options.once, resnapshot: !!options.resnapshot, recopy: options.recopy, standby: options.standby,
    maxRetries: config.settings.maxRetries, retryDelay: config.settings.retryDelay,
    status: ctx.status, logger: ctx.logger.child({ pipeline: 'data' }), signal: ctx.signal,
    chunkRows: positiveInt(process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS),
    chunkBytes: positiveInt(process.env.DB_SYNC_SNAPSHOT_CHUNK_BYTES),
    snapshotParallel: config.settings.snapshotParallel, sharedReader: config.settings.sharedReader,
    maxBacklogBytes: positiveInt(process.env.DB_SYNC_MAX_BACKLOG_BYTES),
    guard: {
      ...guardSettings(config, pair), ...reportTo(ctx.status),
      historyIntervalMs: positiveInt(process.env.DB_SYNC_HISTORY_INTERVAL_MS),
    },
  });
}

/**
 * The binlog engine's schema hooks. Objects are re-synced from the source's definitions;
 * a failure there (a view naming a column the lagging target does not have yet) must not
 * stop the rows: it is a warning, and the next DDL or restart tries again.
 */
function schemaHooks(ctx: PairContext): SchemaHooks {
  const log = ctx.logger.child({ pipeline: 'schema' });
  return {
    initial: async (run) => {
      ctx.status.update({ state: 'schema' });
      await syncSchema({ ...ctx, signal: run.signal }, { fence: run.fence });
    },
    objects: async (objects, run) => {
      if (!ctx.pair.routines) return;
      const scoped = objects !== 'all' && objects.every((o) => o.type === 'view' || o.type === 'trigger');
      try {
        await syncSchema({ ...ctx, signal: run.signal },
          { objectsOnly: true, fence: run.fence, ...(scoped ? { tables: objects.map((o) => o.name) } : {}) });
      } catch (err) {
        if (err instanceof SyncError && err.code === 'PAIR_LOCK_LOST') throw err;
        const message = `schema: views/routines/triggers/events not synced yet: ${(err as Error).message}`
          + ' (retried at the next DDL or restart)';
        log.warn({ err: (err as Error).message }, 'programmable objects could not be synced; streaming goes on');
        const others = ctx.status.current().warnings.filter((w) => !w.startsWith('schema: views/routines'));
        ctx.status.update({ warnings: [...others, message] });
      }
    },
  };
}

/** Tuning knobs (snapshot rows per chunk, stream backlog bytes); tests use small values. */
function positiveInt(text: string | undefined): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The pair's mode; in mode auto with the source's capabilities read to choose it (not read again). */
async function chooseMode(ctx: PairContext): Promise<{ mode: 'binlog' | 'poll'; capabilities?: Capabilities }> {
  if (ctx.pair.mode !== 'auto') return { mode: ctx.pair.mode };
  const capabilities = await checkCapabilities(ctx.source);
  const chosen = resolveMode(ctx.pair, capabilities);
  if (chosen.mode === 'poll') {
    ctx.logger.warn({ reason: chosen.reason }, 'binlog capture not possible on the source; using polling');
    ctx.status.update({ warnings: [...ctx.status.current().warnings, chosen.reason] });
  }
  return { mode: chosen.mode, capabilities };
}
