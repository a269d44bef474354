import { SyncError } from '../errors.js';
import type { PairContext } from './sync-pair.js';

export interface SchemaStepOptions {
  /** Only these source tables (after DDL in the stream); all when absent. */
  tables?: string[];
}

/** Make the target's schema and programmable objects equal to the source's (schema issue). */
export async function runSchemaStep(_ctx: PairContext, _options: SchemaStepOptions): Promise<void> {
  throw new SyncError('NOT_IMPLEMENTED', 'schema sync is not implemented yet');
}
