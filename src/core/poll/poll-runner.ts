/**
 * Polling mode for sources without usable binlog access. Before the first cycle each
 * table is brought equal by the checksum reconciliation (on an empty target that is a
 * chunked copy). Then every `pollInterval` ms, tables with a change-timestamp column are
 * polled by watermark (poll-table.ts), and every `reconcileInterval` ms all tables are
 * compared by chunked checksums and only differing chunks repaired: that catches deletes,
 * tables without a timestamp column and anything the watermark cannot see.
 */
import { SyncError } from '../errors.js';
import { isMissingObject } from '../db/db-errors.js';
import { quoteId } from '../db/quote.js';
import { ensureCheckpointTable, readCheckpoint, writeCheckpoint } from '../data/checkpoint.js';
import type { PipelineContext } from '../pipeline.js';
import { closeVerifyConnections, openVerifyConnections, selectTables } from '../checksum/connections.js';
import { describeTable } from '../db/table-info.js';
import { verifyTable, type VerifyConnections } from '../checksum/verify-table.js';
import { pollTable, type PollDeps, type PollTableState, type Watermark } from './poll-table.js';
import { timestampColumn } from './timestamp-column.js';
import { guardSettings, reportTo, SourceGuard } from '../guard/source-guard.js';
import { sleep } from '../sleep.js';

export interface PollingOptions {
  /** Copy, run one poll cycle and one reconciliation, then return. */
  once: boolean;
  /**
   * Called when the reconciliation finds tables whose structure differs between source and
   * target (polling sees no DDL events): the pair re-runs its schema step for them, then the
   * tables are reconciled again. Without it such tables are only logged.
   */
  onDdl?: (tables: string[]) => Promise<void>;
}

export async function runPolling(ctx: PipelineContext, options: PollingOptions): Promise<void> {
  ctx.status.update({ state: 'polling', mode: 'poll' });
  const conns = await openVerifyConnections(ctx, true);
  // the reconciliation's source reads wait while the source is loaded (the small poll reads do not)
  const guard = new SourceGuard(conns.source, { ...guardSettings(ctx.config, ctx.pair), ...reportTo(ctx.status) },
    ctx.logger, ctx.signal);
  conns.sourceGate = () => guard.gate();
  try {
    const write = conns.targetWrite!;
    await ensureCheckpointTable(write);
    const { tables } = await selectTables(conns, ctx.pair);
    const polled = await prepareTables(ctx, conns, tables);
    const deps = pollDeps(ctx, conns);
    let lastReconcile = Date.now();
    for (;;) {
      const started = Date.now();
      await pollCycle(ctx, polled, deps);
      if (options.once || Date.now() - lastReconcile >= ctx.pair.reconcileInterval) {
        await reconcile(ctx, conns, tables, options.onDdl);
        await refreshInfo(conns, polled);
        lastReconcile = Date.now();
      }
      ctx.status.update({ state: 'polling', lagMs: Date.now() - started });
      if (options.once || ctx.signal.aborted) return;
      await sleep(ctx.config.settings.pollInterval, ctx.signal);
      if (ctx.signal.aborted) return;
    }
  } finally {
    await guard.close();
    await closeVerifyConnections(conns);
  }
}

function pollDeps(ctx: PipelineContext, conns: VerifyConnections): PollDeps {
  return {
    pairName: ctx.pair.name, source: conns.source, targetWrite: conns.targetWrite!,
    pageRows: ctx.pair.pollPageSize, overlapMs: ctx.pair.pollOverlap,
    stats: { queries: 0, rowsRead: 0 },
    onConflict: (table, keys) => ctx.logger.warn({ table, keys: keys.slice(0, 10), count: keys.length },
      'rows not written: a different target row holds the same unique key'),
  };
}

async function pollCycle(ctx: PipelineContext, polled: PollTableState[], deps: PollDeps): Promise<void> {
  let rows = 0;
  for (const st of polled) {
    if (ctx.signal.aborted) return;
    try {
      rows += await pollTable(st, deps);
    } catch (err) {
      if (!isMissingObject(err)) throw err;
      // A column or the table went away on the source (no DDL events in polling mode): the
      // next reconciliation runs the schema step; until then this table waits.
      ctx.logger.warn({ table: st.info.name, err: (err as Error).message },
        'table structure changed on the source; polling of it resumes after the reconciliation');
    }
  }
  if (rows > 0) {
    const t = ctx.status.current().totals;
    ctx.status.update({ totals: { ...t, rows: t.rows + rows, transactions: t.transactions + 1 } });
    ctx.logger.debug({ rows }, 'poll cycle applied rows');
  }
}

/** Initial copy of tables never polled before; returns the tables that have a timestamp column. */
async function prepareTables(ctx: PipelineContext, conns: VerifyConnections,
  tables: string[]): Promise<PollTableState[]> {
  const out: PollTableState[] = [];
  for (const [i, table] of tables.entries()) {
    const info = await describeTable(conns.source, conns.sourceSchema, table);
    if (!info || info.keyKind === 'none') {
      ctx.logger.warn({ table }, 'polling needs a primary key or a NOT NULL unique key; table left out');
      continue;
    }
    const ts = timestampColumn(info, ctx.pair);
    if (ts && !info.indexedFirst.includes(ts.name)) {
      ctx.logger.warn({ table, column: ts.name },
        'no index starts with the change-timestamp column: every poll cycle scans the table; add one');
    }
    const stream = `poll:${table}`;
    let wm = await readCheckpoint<Watermark>(conns.targetWrite!, ctx.pair.name, stream);
    if (!wm) {
      // The watermark is read before the copy: rows changed during it are polled again.
      const start = ts ? await maxTimestamp(conns, table, ts.name) : null;
      ctx.logger.info({ table, timestampColumn: ts?.name ?? null }, 'initial copy for polling');
      reportCopy(ctx, table, i, tables.length);
      await reconcileTable(ctx, conns, table);
      wm = { ts: start, pk: null, changedAt: Date.now() };
      await writeCheckpoint(conns.targetWrite!, ctx.pair.name, stream, wm);
    }
    // A watermark key from another row key (the table's key changed while stopped) cannot
    // break ties; `ts >=` re-reads the rows at the watermark instead.
    if (wm.pk && wm.pk.length !== info.key.length) wm = { ...wm, pk: null };
    if (ts) out.push({ info, ts, stream, wm, seen: new Map() });
    else ctx.logger.info({ table }, 'no change-timestamp column: kept equal by the checksum reconciliation only');
  }
  ctx.status.update({ state: 'polling', snapshot: null });
  return out;
}

function reportCopy(ctx: PipelineContext, table: string, done: number, total: number): void {
  ctx.status.update({
    state: 'snapshot',
    snapshot: {
      table, tablesDone: done, tablesTotal: total, rowsDone: 0, rowsTotal: 0,
      percent: total ? (100 * done) / total : 100, rowsPerSec: 0, etaSec: null,
    },
  });
}

async function maxTimestamp(conns: VerifyConnections, table: string, column: string): Promise<string | null> {
  const [row] = await conns.source.rows<{ m: string | null }>(
    `SELECT MAX(${quoteId(column)}) AS m FROM ${quoteId(table)}`);
  return row?.m === null || row?.m === undefined ? null : String(row.m);
}

async function reconcile(ctx: PipelineContext, conns: VerifyConnections, tables: string[],
  onDdl?: PollingOptions['onDdl']): Promise<void> {
  const drifted: string[] = [];
  for (const table of tables) {
    if (ctx.signal.aborted) return;
    if (!(await reconcileTable(ctx, conns, table))) drifted.push(table);
  }
  if (drifted.length === 0 || !onDdl || ctx.signal.aborted) return;
  ctx.logger.info({ tables: drifted }, 'table structure differs: re-running the schema step');
  await onDdl(drifted);
  for (const table of drifted) await reconcileTable(ctx, conns, table);
}

/** Column lists can change with the schema step; polling must select what the source has now. */
async function refreshInfo(conns: VerifyConnections, polled: PollTableState[]): Promise<void> {
  for (const st of polled) {
    const info = await describeTable(conns.source, conns.sourceSchema, st.info.name);
    if (!info || info.keyKind === 'none') continue;
    if (info.key.join(',') !== st.info.key.join(',')) st.wm = { ...st.wm, pk: null };
    st.info = info;
  }
}

/** Returns false when the table could not be compared because its structure differs. */
async function reconcileTable(ctx: PipelineContext, conns: VerifyConnections, table: string): Promise<boolean> {
  const r = await verifyTable(conns, table, {
    repair: true, sleepRatio: 0, maxExamples: 5, recheckDelays: [], logger: ctx.logger, signal: ctx.signal,
  });
  if (r.status === 'error') {
    const why = r.error?.message ?? 'unknown error';
    throw new SyncError(r.error?.code ?? 'POLL_RECONCILE_FAILED', `reconciliation of table ${table} failed: ${why}`, {
      hint: r.error?.hint ?? 'Run `db-sync verify PAIR --table TABLE` to see the difference; the pair retries.',
      retryable: r.error?.retryable ?? false,
    });
  }
  if (r.status === 'differs' && r.repaired) {
    const { inserted, replaced, deleted, conflicts } = r.repaired;
    ctx.logger.info({ table, inserted, replaced, deleted, conflicts: conflicts.length },
      'reconciliation repaired rows');
    const t = ctx.status.current().totals;
    ctx.status.update({ totals: { ...t, rows: t.rows + inserted + replaced + deleted } });
  } else if (r.status !== 'ok') {
    ctx.logger.warn({ table, status: r.status, drift: r.drift }, 'reconciliation could not compare the table');
    return false;
  }
  return true;
}

