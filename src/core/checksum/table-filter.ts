/**
 * Which source tables a pair syncs: include/exclude globs over table names, never
 * db-sync's own `_db_sync_*` tables. (The schema area's shared pair/table-filter.ts
 * replaces this once it lands on main.)
 */
import picomatch from 'picomatch';
import type { SyncPairConfig } from '../config/schema.js';
import { isInternalTable } from '../data/checkpoint.js';

export function tableFilter(pair: Pick<SyncPairConfig, 'include' | 'exclude'>): (table: string) => boolean {
  const inc = pair.include.length > 0 ? picomatch(pair.include) : () => true;
  const exc = pair.exclude.length > 0 ? picomatch(pair.exclude) : () => false;
  return (t) => !isInternalTable(t) && inc(t) && !exc(t);
}
