/**
 * Which tables a pair syncs: `include` globs (all when empty) minus `exclude` globs, over
 * table names (picomatch, case-sensitive like table names on Linux). db-sync's own
 * `_db_sync_*` tables never take part. Shared by schema, data and verify.
 */
import picomatch from 'picomatch';
import type { SyncPairConfig } from '../config/schema.js';
import { isInternalTable } from '../data/checkpoint.js';

export function tableFilter(pair: Pick<SyncPairConfig, 'include' | 'exclude'>): (name: string) => boolean {
  const opts = { dot: true, nocase: false };
  const inc = pair.include.length ? picomatch(pair.include, opts) : null;
  const exc = pair.exclude.length ? picomatch(pair.exclude, opts) : null;
  return (name) => !isInternalTable(name) && (inc === null || inc(name)) && !(exc !== null && exc(name));
}
