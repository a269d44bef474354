/**
 * Column clauses of one ALTER TABLE: ADD / MODIFY with FIRST / AFTER so the target's column
 * order ends up equal to the source's, DROP for columns the source no longer has. Pure.
 *
 * The order is simulated on a list of the target's column names as each clause would leave
 * it (MySQL applies ADD/MODIFY ... AFTER in clause order). Columns whose drop is withheld
 * (destructive changes not allowed) stay and drift to the end, so the plan converges.
 */
import { quoteId } from '../db/quote.js';
import { columnChangeLoss } from './column-change.js';
import type { ColumnDef, TableDef } from './model.js';
import { explicitCharset } from './parse-create-table.js';

export interface Clause {
  sql: string;
  /** Reasons this clause can lose data; empty when safe. */
  loss: string[];
}

export interface ColumnClauses {
  /** Clauses to apply now (may include destructive ones when allowed). */
  apply: Clause[];
  /** Destructive clauses withheld because the pair does not allow them. */
  pending: Clause[];
}

const colKey = (c: ColumnDef) => `${c.sql}|${c.info.collation ?? ''}`;

function moveAfter(work: string[], name: string, prev: string | null): void {
  const at = work.indexOf(name);
  if (at >= 0) work.splice(at, 1);
  work.splice(prev === null ? 0 : work.indexOf(prev) + 1, 0, name);
}

function dropClauses(s: TableDef, t: TableDef, allow: boolean, out: ColumnClauses, work: string[]): void {
  const keep = new Set(s.columns.map((c) => c.name));
  for (const tc of t.columns) {
    if (keep.has(tc.name)) continue;
    const clause = { sql: `DROP COLUMN ${quoteId(tc.name)}`, loss: [`drops column \`${tc.name}\` and its values`] };
    if (allow) {
      out.apply.push(clause);
      work.splice(work.indexOf(tc.name), 1);
    } else out.pending.push(clause);
  }
}

export function columnClauses(s: TableDef, t: TableDef, allow: boolean): ColumnClauses {
  const out: ColumnClauses = { apply: [], pending: [] };
  const work = t.columns.map((c) => c.name);
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  dropClauses(s, t, allow, out, work);
  let prev: string | null = null;
  for (const sc of s.columns) {
    const tc = byName.get(sc.name);
    const pos = prev === null ? 'FIRST' : `AFTER ${quoteId(prev)}`;
    const inPlace = tc !== undefined && work.indexOf(sc.name) === (prev === null ? 0 : work.indexOf(prev) + 1);
    if (!tc) {
      out.apply.push({ sql: `ADD COLUMN ${explicitCharset(sc.sql, sc.info)} ${pos}`, loss: [] });
    } else if (colKey(sc) !== colKey(tc)) {
      const loss = columnChangeLoss(sc.name, tc.info, sc.info);
      const modify = { sql: `MODIFY COLUMN ${explicitCharset(sc.sql, sc.info)} ${pos}`, loss };
      if (loss.length && !allow) {
        out.pending.push(modify);
        // Still fix the position, with the target's own definition (safe).
        if (!inPlace) out.apply.push({ sql: `MODIFY COLUMN ${explicitCharset(tc.sql, tc.info)} ${pos}`, loss: [] });
      } else out.apply.push(modify);
    } else if (!inPlace) {
      out.apply.push({ sql: `MODIFY COLUMN ${explicitCharset(sc.sql, sc.info)} ${pos}`, loss: [] });
    }
    moveAfter(work, sc.name, prev);
    prev = sc.name;
  }
  return out;
}
