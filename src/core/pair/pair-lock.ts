/**
 * Polling and schema-only runs hold the pair's lock too (binlog runs take it inside their
 * engine, on the apply session): one runner per pair whatever its mode. The lock sits on a
 * session of its own here, as polling and the schema step write through their own
 * connections: losing it stops the run at its next step (the signal aborts) and fails it
 * with PAIR_LOCK_LOST; the service then stands by or takes the lock again.
 */
import { withPairLock, type StandbyPolicy } from '../data/standby.js';
import type { PipelineContext } from '../pipeline.js';

export async function underPairLock(ctx: PipelineContext, standby: StandbyPolicy | undefined,
  fn: (ctx: PipelineContext) => Promise<void>): Promise<void> {
  const { pair, target, status, logger, signal } = ctx;
  await withPairLock({ pairName: pair.name, target, standby, status, logger, signal },
    (_session, locked) => fn({ ...ctx, signal: locked }));
}
