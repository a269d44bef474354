/**
 * Row events of a SYSTEM VERSIONED table with the implicit period (row_start/row_end): the
 * source logs its history as rows too. An UPDATE comes as the update plus an INSERT of the old
 * version (row_end = the time of the change); a DELETE comes as an UPDATE that sets row_end.
 * The target table is system-versioned as well and keeps its own history, so only changes to
 * current rows (row_end at its maximum) are applied: history inserts are dropped, and a row
 * whose row_end moves off the maximum is deleted.
 */
import type { RowImage } from '../db/row-bytes.js';
import type { RowsEvent } from './events.js';

/** row_end of a current row: the largest TIMESTAMP (32-bit, or 64-bit since MariaDB 11.5). */
function isCurrent(rowEnd: unknown): boolean {
  if (typeof rowEnd === 'string') return /^(2038-01-19 03:14:07|2106-02-07 06:28:15)/.test(rowEnd);
  if (rowEnd instanceof Date) return rowEnd.getTime() >= 2_147_483_647_000;
  if (typeof rowEnd === 'number') return rowEnd >= 2_147_483_647;
  return true; // not decoded as a time: apply the change as it came
}

/** The event's changes to current rows, as events in their order. */
export function currentChanges(ev: RowsEvent): RowsEvent[] {
  if (ev.op !== 'update') {
    const rows = ev.rows.filter((row) => isCurrent(row.row_end));
    return rows.length ? [{ ...ev, rows }] : [];
  }
  const out: RowsEvent[] = [];
  let updates: Array<{ before: RowImage; after: RowImage }> | null = null;
  let deletes: RowImage[] | null = null;
  for (const change of ev.rows) {
    if (!isCurrent(change.before.row_end)) continue;
    if (isCurrent(change.after.row_end)) {
      if (!updates) { updates = []; deletes = null; out.push({ ...ev, op: 'update', rows: updates }); }
      updates.push(change);
    } else {
      if (!deletes) { deletes = []; updates = null; out.push({ ...ev, op: 'delete', rows: deletes }); }
      deletes.push(change.before);
    }
  }
  return out;
}
