/**
 * Which tables a pair syncs: `include` globs (all when empty) minus `exclude` globs, over
 * table names (picomatch, case-sensitive like table names on Linux). db-sync's own
 * `_db_sync_*` tables never take part. Shared by schema, data and verify.
 */
import picomatch from 'picomatch';
import type { SyncPairConfig } from './config/schema.js';

/** db-sync's own tables on the target (checkpoints, DDL journal) start with this. */
export const INTERNAL_TABLE_PREFIX = '_db_sync_';

export function isInternalTable(name: string): boolean {
  return name.startsWith(INTERNAL_TABLE_PREFIX);
}

export function tableFilter(pair: Pick<SyncPairConfig, 'include' | 'exclude'>): (name: string) => boolean {
  const opts = { dot: true, nocase: false };
  const inc = pair.include.length ? picomatch(pair.include, opts) : null;
  const exc = pair.exclude.length ? picomatch(pair.exclude, opts) : null;
  return (name) => !isInternalTable(name) && (inc === null || inc(name)) && !(exc !== null && exc(name));
}
