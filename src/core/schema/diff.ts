/**
 * Source tables vs target tables -> ordered DDL steps. Pure.
 *
 * - missing table: CREATE TABLE from the source's SHOW CREATE TABLE, AUTO_INCREMENT counter removed;
 * - extra table: DROP TABLE (destructive);
 * - changed table: one ALTER TABLE (columns, keys, CHECKs, options); foreign keys are dropped
 *   before and added after every table's ALTER (own phases), so a key they need exists;
 * - partitioning: its own ALTER (PARTITION BY ... / REMOVE PARTITIONING).
 * A rename shows as drop + create (the drop waits for allowDestructive).
 */
import { PHASE, type DdlAction, type DdlStep } from '../db/ddl-step.js';
import { quoteId } from '../db/quote.js';
import { columnClauses, type Clause } from './alter-columns.js';
import type { NamedPart, TableDef } from './model.js';
import { parseTableOptions, resetOptionValue } from './parse-create-table.js';

export interface TableDiffOptions {
  allowDestructive: boolean;
}

/**
 * Table DDL runs without strict mode or NO_ZERO_DATE (MySQL 8's default has both): the
 * source's definitions (e.g. DEFAULT '0000-00-00') were accepted there and must be here too.
 * NO_ENGINE_SUBSTITUTION: a missing engine is an error, never a silent InnoDB.
 */
export const TABLE_DDL_SQL_MODE = 'NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO';

function step(name: string, action: DdlAction, phase: number, statements: string[], reasons: string[] = []): DdlStep {
  return {
    objectType: 'table', name, action, phase, statements, destructive: reasons.length > 0, reasons, notes: [],
    session: { sqlMode: TABLE_DDL_SQL_MODE },
  };
}

function partsDiff(s: NamedPart[], t: NamedPart[]): { drop: NamedPart[]; add: NamedPart[] } {
  const sm = new Map(s.map((p) => [p.name, p.sql]));
  const tm = new Map(t.map((p) => [p.name, p.sql]));
  return {
    drop: t.filter((p) => sm.get(p.name) !== p.sql),
    add: s.filter((p) => tm.get(p.name) !== p.sql),
  };
}

function optionClause(s: TableDef, t: TableDef): string | null {
  if (s.options === t.options) return null;
  const so = parseTableOptions(s.options);
  const to = parseTableOptions(t.options);
  const parts: string[] = [];
  for (const [k, v] of so) if (to.get(k) !== v) parts.push(`${k}=${v}`);
  for (const k of to.keys()) if (!so.has(k)) parts.push(`${k}=${resetOptionValue(k)}`);
  return parts.length ? parts.join(' ') : null;
}

function keyClauses(s: TableDef, t: TableDef): { drops: string[]; adds: string[] } {
  const drops: string[] = [];
  const adds: string[] = [];
  if (s.primaryKey !== t.primaryKey) {
    if (t.primaryKey) drops.push('DROP PRIMARY KEY');
    if (s.primaryKey) adds.push(`ADD ${s.primaryKey}`);
  }
  const idx = partsDiff(s.indexes, t.indexes);
  drops.push(...idx.drop.map((p) => `DROP INDEX ${quoteId(p.name)}`));
  adds.push(...idx.add.map((p) => `ADD ${p.sql}`));
  const ck = partsDiff(s.checks, t.checks);
  drops.push(...ck.drop.map((p) => `DROP CONSTRAINT ${quoteId(p.name)}`));
  adds.push(...ck.add.map((p) => `ADD ${p.sql}`));
  return { drops, adds };
}

const alter = (table: string, clauses: string[]) => `ALTER TABLE ${quoteId(table)}\n  ${clauses.join(',\n  ')}`;

export function diffTable(s: TableDef, t: TableDef, opts: TableDiffOptions): DdlStep[] {
  const steps: DdlStep[] = [];
  const fk = partsDiff(s.foreignKeys, t.foreignKeys);
  if (fk.drop.length) {
    const drops = fk.drop.map((p) => `DROP FOREIGN KEY ${quoteId(p.name)}`);
    steps.push(step(s.name, 'alter', PHASE.dropForeignKey, [alter(s.name, drops)]));
  }
  const cols = columnClauses(s, t, opts.allowDestructive);
  const keys = keyClauses(s, t);
  const opt = optionClause(s, t);
  const clauses: Clause[] = [
    ...keys.drops.map((sql) => ({ sql, loss: [] })),
    ...cols.apply,
    ...keys.adds.map((sql) => ({ sql, loss: [] })),
    ...(opt ? [{ sql: opt, loss: [] }] : []),
  ];
  // InnoDB (MySQL) builds one FULLTEXT index per ALTER: further ones get their own statement.
  const fulltext = clauses.filter((c) => c.sql.startsWith('ADD FULLTEXT')).slice(1);
  const main = clauses.filter((c) => !fulltext.includes(c));
  if (main.length) {
    const stmts = [alter(s.name, main.map((c) => c.sql)), ...fulltext.map((c) => alter(s.name, [c.sql]))];
    steps.push(step(s.name, 'alter', PHASE.alterTable, stmts, main.flatMap((c) => c.loss)));
  }
  if (cols.pending.length) {
    const pending = [alter(s.name, cols.pending.map((c) => c.sql))];
    steps.push(step(s.name, 'alter', PHASE.alterTable, pending, cols.pending.flatMap((c) => c.loss)));
  }
  if (fk.add.length) {
    steps.push(step(s.name, 'alter', PHASE.addForeignKey, [alter(s.name, fk.add.map((p) => `ADD ${p.sql}`))]));
  }
  if (s.partition !== t.partition) {
    const partition = `ALTER TABLE ${quoteId(s.name)} ${s.partition ?? 'REMOVE PARTITIONING'}`;
    steps.push(step(s.name, 'partition', PHASE.partition, [partition]));
  }
  return steps;
}

/** All steps for tables; `scope` limits the comparison to those names (both sides). */
export function diffTables(source: TableDef[], target: TableDef[], opts: TableDiffOptions): DdlStep[] {
  const tm = new Map(target.map((t) => [t.name, t]));
  const sm = new Set(source.map((s) => s.name));
  const steps: DdlStep[] = [];
  for (const t of target) {
    if (!sm.has(t.name)) {
      steps.push(step(t.name, 'drop', PHASE.dropTable, [`DROP TABLE ${quoteId(t.name)}`],
        [`drops table \`${t.name}\` and all its rows (not on the source)`]));
    }
  }
  for (const s of source) {
    const t = tm.get(s.name);
    if (!t) steps.push(step(s.name, 'create', PHASE.createTable, [s.createSql]));
    else steps.push(...diffTable(s, t, opts));
  }
  return steps;
}
