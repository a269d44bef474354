/**
 * Is the target equal to the source? The verify engine (chunked checksums over every synced
 * table, no repair) plus the schema engine's plan (tables, views, routines, triggers, events).
 * Run once the source is still and the pair has applied everything, so no re-checks are needed.
 */
import type { ConnectionConfig, SyncPairConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { planSchema } from '../pair/schema-step.js';
import { renderReport } from '../verify/render-report.js';
import { verifyPair } from '../verify/verify-pair.js';

export interface EqualityInput {
  pair: SyncPairConfig;
  source: ConnectionConfig;
  target: ConnectionConfig;
}

export interface Equality {
  equal: boolean;
  /** The verify report and any schema drift, one line each. */
  lines: string[];
}

export async function compareSourceAndTarget(input: EqualityInput, logger: Logger,
  signal: AbortSignal): Promise<Equality> {
  const options = { repair: false, sleepRatio: 0, maxExamples: 5, recheckDelays: [], logger, signal };
  const report = await verifyPair(input, options);
  const lines = renderReport(report).split('\n');
  let drift = 0;
  if (input.pair.schema || input.pair.routines) {
    const plan = await planSchema(input);
    drift = plan.steps.length;
    for (const s of plan.steps) lines.push(`schema: ${s.objectType} ${s.name} needs ${s.action} on the target`);
  }
  return { equal: report.equal && drift === 0, lines };
}
