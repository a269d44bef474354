import { SyncError } from '../errors.js';
import type { PairContext } from './sync-pair.js';

export interface DataStepOptions {
  once: boolean;
  onDdl: (tables: string[]) => Promise<void>;
}

/** Snapshot, then binlog streaming or polling (data issue). */
export async function runDataStep(_ctx: PairContext, _options: DataStepOptions): Promise<void> {
  throw new SyncError('NOT_IMPLEMENTED', 'data sync is not implemented yet');
}
