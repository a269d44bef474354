/**
 * The change-timestamp column polling follows for a table: the one named in the pair's
 * `timestampColumns`, else an ON UPDATE CURRENT_TIMESTAMP column, else a date/time column
 * named updated_at, modified_at or last_update. Null: the table is reconciled only.
 */
import type { SyncPairConfig } from '../config/schema.js';
import { SyncError } from '../errors.js';
import type { TableInfo } from '../db/table-info.js';

const TIME_TYPES = new Set(['timestamp', 'datetime']);
const NUMERIC_TYPES = new Set(['int', 'bigint', 'integer', 'mediumint', 'decimal', 'double']);
const CONVENTIONAL = ['updated_at', 'modified_at', 'last_update'];

export interface TimestampColumn {
  name: string;
  /** Date/time columns get an overlap window in time; numeric ones in seconds (epoch). */
  kind: 'time' | 'numeric';
}

export function timestampColumn(info: TableInfo,
  pair: Pick<SyncPairConfig, 'timestampColumns' | 'name'>): TimestampColumn | null {
  const configured = pair.timestampColumns[info.name];
  if (configured !== undefined) {
    const col = info.columns.find((c) => c.name === configured);
    if (!col || !(TIME_TYPES.has(col.dataType) || NUMERIC_TYPES.has(col.dataType))) {
      throw new SyncError('POLL_TIMESTAMP_COLUMN', `pair "${pair.name}": timestampColumns names "${configured}" `
        + `for table ${info.name}, which is not a date/time or numeric column of it`, {
        hint: 'Name an existing DATETIME/TIMESTAMP (or epoch-seconds integer) column, '
          + 'or remove the entry to use auto-detection.',
      });
    }
    return { name: col.name, kind: TIME_TYPES.has(col.dataType) ? 'time' : 'numeric' };
  }
  const onUpdate = info.columns.find((c) => c.onUpdateTimestamp && TIME_TYPES.has(c.dataType));
  if (onUpdate) return { name: onUpdate.name, kind: 'time' };
  for (const name of CONVENTIONAL) {
    const col = info.columns.find((c) => c.name.toLowerCase() === name && TIME_TYPES.has(c.dataType));
    if (col) return { name: col.name, kind: 'time' };
  }
  return null;
}
