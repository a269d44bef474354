/**
 * What a DDL statement from the binlog means for the target, decided the way a native
 * replica with a rewrite-db rule and table filters would act. Pure.
 *
 * - A statement whose tables are all in the pair's scope is replayed as the source ran it,
 *   with every `source_db.` qualifier rewritten to the target database.
 * - Tables outside the scope (other databases, include/exclude globs) are left alone.
 * - Mixed statements are split: a table renamed out of the scope keeps its data under the
 *   new name on the target (or is dropped there when it moved to another database); a table
 *   that enters the scope (renamed from an excluded name, CREATE ... LIKE an excluded table,
 *   EXCHANGE PARTITION with one) cannot be replayed from the binlog and is copied instead.
 * - TRUNCATE becomes a DELETE in the checkpoint's transaction (atomic with it).
 * - Views, triggers and routines are re-synced from the source's definition by the schema
 *   engine (trigger guard, DEFINER and event rules).
 */
import { quoteId } from '../db/quote.js';
import { tokenize, type LexOptions } from './sql-lexer.js';
import type { ObjectType, Statement, TableRef } from './statement-kind.js';
import type { ErrorCode } from '../errors.js';

export interface DdlInput {
  /** The statement as a byte string (one char per byte, Buffer#toString('latin1')). */
  sql: string;
  /** The session's default database when the source ran it. */
  defaultDb: string;
  sourceDb: string;
  targetDb: string;
  inScope: (table: string) => boolean;
  lex: LexOptions;
  decodeName: (raw: string) => string;
}

export type DdlPlan =
  | { action: 'skip'; reason: string }
  /**
   * `statements` run in order; `asLogged` ones in the source statement's session context,
   * the others (generated here) in db-sync's own. `tables`: target tables the statements
   * touch; `copy`: tables to copy from the source afterwards; `notes`: for the log/status.
   */
  | {
    action: 'replay'; statements: Array<{ sql: Buffer; asLogged: boolean }>; tables: string[]; copy: string[];
    notes: string[];
  }
  | { action: 'truncate'; table: string }
  | { action: 'objects'; objects: Array<{ type: ObjectType; name: string }> }
  | { action: 'stop'; code: ErrorCode; message: string; hint: string };

type TableStmt = Extract<Statement, { kind: 'table-ddl' }>;

export function planDdl(stmt: Statement, input: DdlInput): DdlPlan {
  const scope = new Scope(input);
  switch (stmt.kind) {
    case 'table-ddl': return stmt.temporary
      ? skip('temporary tables live in the source session; their effects arrive as rows') : tableDdl(stmt, scope);
    case 'object-ddl': {
      if (!scope.ours(stmt.name)) return skip('another database');
      if (stmt.objectType === 'sequence') return skip('SEQUENCE objects are not synced');
      return { action: 'objects', objects: [{ type: stmt.objectType, name: stmt.name.name }] };
    }
    case 'database-ddl': return databaseDdl(stmt, input);
    default: return skip('not DDL');
  }
}

function skip(reason: string): DdlPlan {
  return { action: 'skip', reason };
}

class Scope {
  constructor(readonly i: DdlInput) {}
  db(r: TableRef): string { return r.db ?? this.i.defaultDb; }
  ours(r: TableRef): boolean { return this.db(r) === this.i.sourceDb; }
  scoped(r: TableRef): boolean { return this.ours(r) && this.i.inScope(r.name); }
  target(name: string): string { return `${quoteId(this.i.targetDb)}.${quoteId(name)}`; }
  /** The statement as logged with our database's qualifiers rewritten. */
  asLogged(): { sql: Buffer; asLogged: boolean } {
    return { sql: Buffer.from(rewriteQualifiers(this.i), 'latin1'), asLogged: true };
  }
  generated(sql: string): { sql: Buffer; asLogged: boolean } {
    return { sql: Buffer.from(sql, 'utf8'), asLogged: false };
  }
}

function replay(statements: Array<{ sql: Buffer; asLogged: boolean }>, tables: string[], copy: string[] = [],
  notes: string[] = []): DdlPlan {
  return { action: 'replay', statements, tables: [...new Set(tables)], copy: [...new Set(copy)], notes };
}

function tableDdl(s: TableStmt, scope: Scope): DdlPlan {
  const ours = s.tables.filter((t) => scope.ours(t)).map((t) => t.name);
  const [first] = s.tables;
  if (!first) return skip('no table');
  switch (s.op) {
    case 'truncate': return scope.scoped(first) ? { action: 'truncate', table: first.name } : skip('table not synced');
    case 'create':
    case 'alter': return createOrAlter(s, first, scope, ours);
    case 'create-index':
    case 'drop-index': return scope.scoped(first) ? replay([scope.asLogged()], ours) : skip('table not synced');
    case 'drop': {
      const scoped = s.tables.filter((t) => scope.scoped(t));
      if (!scoped.length) return skip('tables not synced');
      if (scoped.length === s.tables.length) return replay([scope.asLogged()], ours);
      const names = scoped.map((t) => scope.target(t.name)).join(', ');
      return replay([scope.generated(`DROP TABLE IF EXISTS ${names}`)], ours);
    }
    case 'rename': return rename(s, scope, ours);
  }
}

function createOrAlter(s: TableStmt, t: TableRef, scope: Scope, ours: string[]): DdlPlan {
  const partner = s.source;
  if (scope.scoped(t)) {
    if (partner && !scope.scoped(partner)) {
      return replay([], ours, [t.name], [`table ${t.name} takes rows or its definition from ${partner.name}, `
        + 'which the pair does not sync: it is copied from the source']);
    }
    // CREATE ... LIKE / SELECT and EXCHANGE PARTITION also depend on their partner: a snapshot's
    // catch-up must know that one which is not copied yet makes this table one to copy too
    const named = partner && scope.ours(partner) && !ours.includes(partner.name) ? [...ours, partner.name] : ours;
    return replay([scope.asLogged()], named);
  }
  if (partner && scope.scoped(partner) && s.op === 'alter') {
    return replay([], ours, [partner.name], [`table ${partner.name} exchanged rows with ${t.name}, `
      + 'which the pair does not sync: it is copied from the source']);
  }
  return skip('table not synced');
}

function rename(s: TableStmt, scope: Scope, ours: string[]): DdlPlan {
  const all = s.renames.every(([a, b]) => scope.scoped(a) && scope.scoped(b));
  if (all) return replay([scope.asLogged()], ours);
  if (!s.renames.some(([a, b]) => scope.scoped(a) || scope.scoped(b))) return skip('tables not synced');
  const isAlter = s.alter;
  const statements: Array<{ sql: Buffer; asLogged: boolean }> = [];
  const copy: string[] = [];
  const notes: string[] = [];
  for (const [from, to] of s.renames) {
    if (scope.scoped(from) && scope.ours(to)) {
      // in -> in, or out of the scope within the database: the target keeps the rows under the new name
      const renameSql = `RENAME TABLE ${scope.target(from.name)} TO ${scope.target(to.name)}`;
      statements.push(isAlter ? scope.asLogged() : scope.generated(renameSql));
      if (!scope.scoped(to)) {
        notes.push(`table ${from.name} was renamed to ${to.name}, which the pair does not sync: `
          + 'the target keeps it, no longer updated');
      }
    } else if (scope.scoped(from)) {
      statements.push(scope.generated(`DROP TABLE IF EXISTS ${scope.target(from.name)}`));
      notes.push(`table ${from.name} moved to database ${scope.db(to)}: dropped from the target`);
    } else if (scope.scoped(to)) {
      copy.push(to.name);
      notes.push(`table ${to.name} entered the pair's scope (renamed from ${scope.db(from)}.${from.name}): `
        + 'it is copied from the source');
    }
  }
  return replay(statements, ours, copy, notes);
}

function databaseDdl(s: Extract<Statement, { kind: 'database-ddl' }>, i: DdlInput): DdlPlan {
  if (i.decodeName(s.name) !== i.sourceDb && s.name !== i.sourceDb) return skip('another database');
  if (s.op === 'create') return skip('the target database exists');
  if (s.op === 'drop') {
    return { action: 'stop', code: 'SOURCE_DATABASE_DROPPED', message: `the source database ${i.sourceDb} was dropped`,
      hint: 'db-sync does not drop the target database. Remove or disable the pair (`db-sync sync disable PAIR`); '
        + 'to start over after the source database is recreated, run `db-sync sync run PAIR --resnapshot`.' };
  }
  // ALTER DATABASE ours ...: the same options on the target database
  const tokens = tokenize(i.sql, i.lex);
  const nameTok = tokens.find((t) => (t.type === 'word' || t.type === 'qident')
    && i.decodeName(t.value) === i.sourceDb);
  if (!nameTok) return skip('ALTER DATABASE of the default database');
  const targetName = Buffer.from(quoteId(i.targetDb), 'utf8').toString('latin1');
  const sql = i.sql.slice(0, nameTok.start) + targetName + i.sql.slice(nameTok.end);
  return replay([{ sql: Buffer.from(sql, 'latin1'), asLogged: true }], []);
}

/** Every `source_db`.x qualifier in the statement rewritten to the target database. */
export function rewriteQualifiers(i: DdlInput): string {
  const code = tokenize(i.sql, i.lex).filter((t) => t.type !== 'comment');
  const target = Buffer.from(quoteId(i.targetDb), 'utf8').toString('latin1');
  let out = '';
  let at = 0;
  code.forEach((t, k) => {
    if (t.type !== 'word' && t.type !== 'qident') return;
    const next = code[k + 1];
    const prev = code[k - 1];
    if (!next || next.type !== 'op' || next.value !== '.') return;
    if (prev && prev.type === 'op' && prev.value === '.') return;
    if (i.decodeName(t.value) !== i.sourceDb) return;
    out += i.sql.slice(at, t.start) + target;
    at = t.end;
  });
  return out + i.sql.slice(at);
}
