/**
 * Composition of one sync pair: schema -> routines -> data. The only place that wires
 * core/schema and core/data together (they never import each other). The CLI's
 * `sync run` and the service both call runPair().
 */
import type { Config } from '../config/schema.js';
import { SyncError } from '../errors.js';
import type { PipelineContext } from '../pipeline.js';
import { runSchemaStep } from './schema-step.js';
import { runDataStep } from './data-step.js';
import { underPairLock } from './pair-lock.js';
import type { RunPairOptions } from './run-options.js';

export type { StandbyPolicy } from '../data/standby.js';
export type { RunPairOptions };
/** A pair's pipeline context (the pair composes the pipelines with it). */
export type PairContext = PipelineContext;

export function pairContext(
  config: Config,
  pairName: string,
  base: Omit<PairContext, 'config' | 'pair' | 'source' | 'target'>,
): PairContext {
  const pair = config.syncPairs.find((p) => p.name === pairName);
  if (!pair) {
    throw new SyncError('PAIR_NOT_FOUND', `unknown sync pair "${pairName}"`, {
      hint: 'List pairs with `db-sync sync list`; create one with `db-sync sync add`.',
    });
  }
  const find = (name: string) => {
    const c = config.connections.find((x) => x.name === name);
    if (!c) {
      throw new SyncError('CONNECTION_NOT_FOUND', `sync pair "${pair.name}" uses unknown connection "${name}"`, {
        hint: 'Add it with `db-sync connection add`.',
      });
    }
    return c;
  };
  return { config, pair, source: find(pair.source), target: find(pair.target), ...base };
}

export async function runPair(ctx: PairContext, options: RunPairOptions): Promise<void> {
  const { pair } = ctx;
  if (pair.data) {
    // the data step runs the schema step where its mode needs it (see data-step.ts)
    await runDataStep(ctx, options);
    return;
  }
  await underPairLock(ctx, options.standby, async (locked) => {
    if (pair.schema || pair.routines) {
      locked.status.update({ state: 'schema' });
      await runSchemaStep(locked, {});
    }
    if (locked.signal.aborted || options.once) return;
    await schemaOnlyLoop(locked);
  });
}

/** A pair without data sync keeps checking the schema every schemaCheckInterval. */
async function schemaOnlyLoop(ctx: PairContext): Promise<void> {
  const interval = ctx.config.settings.schemaCheckInterval;
  ctx.status.update({ state: 'streaming', mode: null });
  while (!ctx.signal.aborted) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, interval);
      ctx.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    if (!ctx.signal.aborted) await runSchemaStep(ctx, {});
  }
}
