/**
 * The schema step of a pair: introspect source and target, diff tables (core/schema) and
 * programmable objects (core/routines), apply what is allowed. Composition only; the SQL
 * lives in those modules. Idempotent: everything is computed from the live state, so a
 * re-run after a failure continues where the last one stopped, and an up-to-date pair
 * costs only the introspection queries.
 */
import { openConnection, type Db } from '../db/connection.js';
import { applyDdlSteps, sortSteps, type DdlStep } from '../db/ddl-step.js';
import { parseFlavor } from '../db/flavor.js';
import { nonTransactionalTables, nonTransactionalWarnings } from '../preflight.js';
import { isInternalTable, type WriteFence } from '../data/checkpoint.js';
import { checkFence } from '../data/runner-lock.js';
import type { PipelineContext as PairContext } from '../pipeline.js';
import { tableFilter } from '../table-filter.js';
import { introspectTables, listTables } from '../schema/introspect.js';
import { diffTables } from '../schema/diff.js';
import { introspectProgrammables, readDefinerEnv, type ProgrammableScope } from '../routines/introspect.js';
import { diffProgrammables } from '../routines/diff.js';

export interface SchemaStepOptions {
  /** Only these source tables, or views/triggers of these names; all when absent. */
  tables?: string[];
  /** Only views, routines, triggers and events (the binlog stream replays table DDL itself). */
  objectsOnly?: boolean;
  /** The pair's lock, checked before each statement (a binlog run's schema step, checkFence). */
  fence?: WriteFence;
}

export interface PlannedStep extends DdlStep {
  /** Destructive and the pair does not allow destructive changes: shown, not applied. */
  pending: boolean;
}

export interface SchemaPlan {
  pair: string;
  allowDestructive: boolean;
  steps: PlannedStep[];
  warnings: string[];
}

export interface SchemaStepResult {
  plan: SchemaPlan;
  /** Number of steps applied. */
  applied: number;
}

export type SchemaPlanContext = Pick<PairContext, 'pair' | 'source' | 'target'>;

const SCHEMA_WARNING = 'schema: ';

async function dbName(db: Db): Promise<string> {
  const rows = await db.rows<{ d: string }>('SELECT DATABASE() AS d');
  return rows[0]?.d ?? '';
}

async function tableSteps(ctx: SchemaPlanContext, src: Db, tgt: Db, options: SchemaStepOptions): Promise<DdlStep[]> {
  const opts = { filter: tableFilter(ctx.pair), ...(options.tables ? { only: options.tables } : {}) };
  const [s, t] = [await introspectTables(src, opts), await introspectTables(tgt, opts)];
  return diffTables(s, t, { allowDestructive: ctx.pair.allowDestructive });
}

async function programmableSteps(
  ctx: SchemaPlanContext,
  src: Db,
  tgt: Db,
  options: SchemaStepOptions,
): Promise<{ steps: DdlStep[]; warnings: string[] }> {
  const filter = tableFilter(ctx.pair);
  const scope: ProgrammableScope = {
    views: true, routines: true, triggers: true, events: true,
    ...(options.tables ? { only: new Set(options.tables) } : {}),
  };
  const allSource = await listTables(src, { filter: (n) => !isInternalTable(n) });
  const sp = await introspectProgrammables(src, await dbName(src), scope);
  const tp = await introspectProgrammables(tgt, await dbName(tgt), scope);
  const versions = await tgt.rows<{ v: string }>('SELECT VERSION() AS v');
  return diffProgrammables(sp, tp, {
    definers: await readDefinerEnv(tgt),
    eventDisabledOnTarget: parseFlavor(versions[0]?.v ?? '').eventDisabledOnTarget,
    excludedTables: new Set(allSource.filter((n) => !filter(n))),
    filter,
  });
}

/**
 * Plan with open connections (both only read). `schema` covers tables; `routines` views,
 * routines, triggers, events.
 */
export async function planWith(
  ctx: SchemaPlanContext,
  src: Db,
  tgt: Db,
  options: SchemaStepOptions = {},
): Promise<SchemaPlan> {
  const { pair } = ctx;
  const steps: DdlStep[] = pair.schema && !options.objectsOnly ? await tableSteps(ctx, src, tgt, options) : [];
  const warnings: string[] = [];
  if (pair.routines) {
    const p = await programmableSteps(ctx, src, tgt, options);
    steps.push(...p.steps);
    warnings.push(...p.warnings);
  }
  if (pair.data && !options.objectsOnly) {
    const filter = tableFilter(pair);
    const nonTransactional = await nonTransactionalTables(src, ctx.source.database);
    warnings.push(...nonTransactionalWarnings(nonTransactional.filter((n) => filter(n.table))));
  }
  const planned = sortSteps(steps).map((s) => ({ ...s, pending: s.destructive && !pair.allowDestructive }));
  return {
    pair: pair.name, allowDestructive: pair.allowDestructive, warnings,
    steps: waitForPendingDrops(planned, warnings),
  };
}

/**
 * A view that replaces a table of the same name can only be created once the table's drop
 * (destructive) is allowed; until then it is left out with a warning instead of failing.
 */
function waitForPendingDrops(steps: PlannedStep[], warnings: string[]): PlannedStep[] {
  const blocked = new Set(steps
    .filter((s) => s.pending && s.objectType === 'table' && s.action === 'drop')
    .map((s) => s.name));
  return steps.filter((s) => {
    if (s.objectType !== 'view' || s.action === 'drop' || !blocked.has(s.name)) return true;
    warnings.push(`view \`${s.name}\` waits: table \`${s.name}\` must be dropped first`
      + ' (destructive; allow it on the pair)');
    return false;
  });
}

/** What a sync would change on the target, without changing anything (plan command, verify). */
export async function planSchema(ctx: SchemaPlanContext, options: SchemaStepOptions = {}): Promise<SchemaPlan> {
  let src: Db | undefined;
  let tgt: Db | undefined;
  try {
    src = await openConnection(ctx.source);
    tgt = await openConnection(ctx.target);
    return await planWith(ctx, src, tgt, options);
  } finally {
    await src?.close();
    await tgt?.close();
  }
}

function pendingWarnings(plan: SchemaPlan): string[] {
  return plan.steps
    .filter((s) => s.pending)
    .map((s) => `${SCHEMA_WARNING}pending destructive change on ${s.objectType} \`${s.name}\`: `
      + `${s.reasons.join('; ')} (set allowDestructive on the pair to apply)`);
}

/** Make the target's schema and programmable objects equal to the source's (runPair's step). */
export async function runSchemaStep(ctx: PairContext, options: SchemaStepOptions = {}): Promise<void> {
  await syncSchema(ctx, options);
}

/** runSchemaStep returning the plan it acted on and how many steps it applied. */
export async function syncSchema(ctx: PairContext, options: SchemaStepOptions = {}): Promise<SchemaStepResult> {
  const log = ctx.logger.child({ pipeline: 'schema' });
  // Periodic and DDL-triggered checks run inside another state (streaming, polling): go back to it.
  const previous = ctx.status.current().state;
  ctx.status.update({ state: 'schema' });
  let src: Db | undefined;
  let tgt: Db | undefined;
  try {
    src = await openConnection(ctx.source);
    // A dedicated connection for DDL: its session settings (foreign_key_checks, sql_mode) never leak into row writers.
    tgt = await openConnection(ctx.target);
    const plan = await planWith(ctx, src, tgt, options);
    const todo = plan.steps.filter((s) => !s.pending);
    const [ddl, fence] = [tgt, options.fence];
    const guard = fence ? () => checkFence(ddl, fence, ctx.pair.name, 'a schema statement') : undefined;
    const applied = todo.length ? await applyDdlSteps(tgt, todo, { logger: log, signal: ctx.signal, guard }) : 0;
    if (applied) log.info({ applied, pending: plan.steps.length - todo.length }, 'schema step applied changes');
    for (const w of plan.warnings) log.warn(w);
    const others = ctx.status.current().warnings.filter((w) => !w.startsWith(SCHEMA_WARNING));
    const mine = [...pendingWarnings(plan), ...plan.warnings.map((w) => SCHEMA_WARNING + w)];
    ctx.status.update({
      lastSchemaCheck: new Date().toISOString(),
      warnings: [...others, ...mine],
      state: previous === 'starting' ? 'schema' : previous,
    });
    return { plan, applied };
  } finally {
    await src?.close();
    await tgt?.close();
  }
}
