/**
 * What a statement from the binlog is (transaction control, table DDL, DDL of a
 * programmable object, statement-based DML, ...) and which tables it names. Pure; works on
 * the tokens of sql-lexer.ts. When it cannot tell, it says 'other' so the caller can stop
 * rather than guess.
 */
import { codeTokens, kw, nameOf, tokenize, type LexOptions, type Token } from './sql-lexer.js';

/** A table name as written: `db` is null when unqualified (the session's default database). */
export interface TableRef {
  db: string | null;
  name: string;
}

export type ObjectType = 'view' | 'trigger' | 'procedure' | 'function' | 'event' | 'sequence';

export type Statement =
  | { kind: 'txn'; op: 'begin' | 'commit' | 'rollback' }
  | { kind: 'savepoint'; op: 'set' | 'rollback-to' | 'release'; name: string }
  | { kind: 'xa'; op: 'start' | 'end' | 'prepare' | 'commit' | 'rollback' | 'other'; onePhase: boolean }
  | { kind: 'table-ddl'; op: TableOp; temporary: boolean; tables: TableRef[]; renames: Array<[TableRef, TableRef]>;
      /** CREATE ... LIKE / EXCHANGE PARTITION ... WITH TABLE: the other table the statement reads. */
      source: TableRef | null;
      /** ALTER TABLE (a rename may come with other changes of the table). */
      alter: boolean }
  | {
    kind: 'object-ddl'; objectType: ObjectType; op: 'create' | 'alter' | 'drop'; name: TableRef;
    table: TableRef | null;
  }
  | { kind: 'database-ddl'; op: 'create' | 'alter' | 'drop'; name: string }
  | { kind: 'dml'; tables: TableRef[] | 'unknown' }
  | { kind: 'ignore'; why: string }
  | { kind: 'other' };

export type TableOp = 'create' | 'alter' | 'drop' | 'rename' | 'truncate' | 'create-index' | 'drop-index';

export interface ClassifyOptions extends LexOptions {
  /** Identifier bytes (latin1-mapped) to a name (decoded in the client character set). */
  decodeName?: (raw: string) => string;
}

/** Reads tokens left to right; every helper returns undefined instead of throwing. */
class Cursor {
  i = 0;
  constructor(readonly t: Token[], private readonly decode: (raw: string) => string) {}
  peek(k = 0): Token | undefined { return this.t[this.i + k]; }
  word(k = 0): string { return kw(this.peek(k)); }
  accept(...words: string[]): boolean {
    if (words.includes(this.word())) { this.i++; return true; }
    return false;
  }
  acceptSeq(...words: string[]): boolean {
    if (words.every((w, k) => this.word(k) === w)) { this.i += words.length; return true; }
    return false;
  }
  op(ch: string, k = 0): boolean {
    const t = this.peek(k);
    return !!t && t.type === 'op' && t.value === ch;
  }
  /** A possibly qualified name: a, `a`, a.b, `a`.`b`. */
  table(): TableRef | undefined {
    const first = nameOf(this.peek());
    if (first === null) return undefined;
    this.i++;
    if (this.op('.') && nameOf(this.peek(1)) !== null) {
      const second = nameOf(this.peek(1)) as string;
      this.i += 2;
      return { db: this.decode(first), name: this.decode(second) };
    }
    return { db: null, name: this.decode(first) };
  }
  /** Skip DEFINER = user@host (several token shapes). */
  skipDefiner(): void {
    if (this.word() !== 'DEFINER') return;
    this.i++;
    if (this.op('=')) this.i++;
    this.i++; // user, CURRENT_USER or a quoted name
    if (this.op('(') && this.op(')', 1)) this.i += 2; // CURRENT_USER()
    if (this.peek()?.type === 'var') this.i++; // @'host' lexed as a variable
    else if (this.op('@')) this.i += 2;
  }
}

export function classifyStatement(sql: string, o: ClassifyOptions = {}): Statement {
  const c = new Cursor(codeTokens(tokenize(sql, o)), o.decodeName ?? ((s) => s));
  const first = c.word();
  switch (first) {
    case 'BEGIN': return { kind: 'txn', op: 'begin' };
    case 'START': return c.word(1) === 'TRANSACTION' ? { kind: 'txn', op: 'begin' } : { kind: 'other' };
    case 'COMMIT': return { kind: 'txn', op: 'commit' };
    case 'ROLLBACK': return rollback(c);
    case 'SAVEPOINT': c.i++; return { kind: 'savepoint', op: 'set', name: nameOf(c.peek()) ?? '' };
    case 'RELEASE':
      c.i++;
      c.accept('SAVEPOINT');
      return { kind: 'savepoint', op: 'release', name: nameOf(c.peek()) ?? '' };
    case 'XA': return xa(c);
    case 'CREATE': case 'ALTER': case 'DROP': return ddl(c);
    case 'RENAME':
      return c.word(1) === 'TABLE' || c.word(1) === 'TABLES' ? rename(c) : { kind: 'ignore', why: 'account statement' };
    case 'TRUNCATE': {
      c.i++;
      c.accept('TABLE');
      const t = c.table();
      return t ? tableDdl('truncate', [t]) : { kind: 'other' };
    }
    case 'INSERT': case 'REPLACE': case 'UPDATE': case 'DELETE': case 'LOAD':
      return { kind: 'dml', tables: dmlTables(c) };
    case 'ANALYZE': case 'OPTIMIZE': case 'REPAIR': case 'CHECK': case 'CHECKSUM':
      return { kind: 'ignore', why: 'table maintenance (no change to rows or definitions)' };
    case 'GRANT': case 'REVOKE': case 'FLUSH': case 'INSTALL': case 'UNINSTALL': case 'SET': case 'KILL':
    case 'SHUTDOWN': case 'RESET': case 'PURGE': case 'CHANGE': case 'DO': case 'USE': case 'LOCK': case 'UNLOCK':
      return { kind: 'ignore', why: 'server or session administration' };
    default: return { kind: 'other' };
  }
}

function rollback(c: Cursor): Statement {
  c.i++;
  c.accept('WORK');
  if (c.accept('TO')) {
    c.accept('SAVEPOINT');
    return { kind: 'savepoint', op: 'rollback-to', name: nameOf(c.peek()) ?? '' };
  }
  return { kind: 'txn', op: 'rollback' };
}

function xa(c: Cursor): Statement {
  const op = c.word(1);
  const known = {
    START: 'start', BEGIN: 'start', END: 'end', PREPARE: 'prepare', COMMIT: 'commit', ROLLBACK: 'rollback',
  } as const;
  const mapped = known[op as keyof typeof known] ?? 'other';
  const words = c.t.map((t) => kw(t));
  return { kind: 'xa', op: mapped, onePhase: words.includes('ONE') && words.includes('PHASE') };
}

function tableDdl(op: TableOp, tables: TableRef[],
  extra: Partial<Extract<Statement, { kind: 'table-ddl' }>> = {}): Statement {
  return { kind: 'table-ddl', op, temporary: false, tables, renames: [], source: null, alter: false, ...extra };
}

function ddl(c: Cursor): Statement {
  const verb = c.word();
  c.i++;
  const op = verb === 'CREATE' ? 'create' : verb === 'ALTER' ? 'alter' : 'drop';
  c.acceptSeq('OR', 'REPLACE');
  // CREATE ALGORITHM=... DEFINER=... SQL SECURITY ... VIEW / AGGREGATE FUNCTION
  for (;;) {
    if (c.word() === 'ALGORITHM' && c.op('=', 1)) { c.i += 3; continue; }
    if (c.word() === 'DEFINER') { c.skipDefiner(); continue; }
    if (c.acceptSeq('SQL', 'SECURITY')) { c.i++; continue; }
    if (c.accept('AGGREGATE', 'ONLINE', 'OFFLINE', 'IGNORE')) continue;
    break;
  }
  const temporary = c.accept('TEMPORARY');
  const what = c.word();
  c.i++;
  switch (what) {
    case 'TABLE': return table(c, op, temporary);
    case 'INDEX': case 'UNIQUE': case 'FULLTEXT': case 'SPATIAL': return index(c, op, what);
    case 'DATABASE': case 'SCHEMA': {
      c.acceptSeq('IF', 'NOT', 'EXISTS') || c.acceptSeq('IF', 'EXISTS');
      const name = nameOf(c.peek());
      return name === null ? { kind: 'other' } : { kind: 'database-ddl', op, name };
    }
    case 'VIEW': case 'TRIGGER': case 'PROCEDURE': case 'FUNCTION': case 'EVENT': case 'SEQUENCE':
      return objectDdl(c, what.toLowerCase() as ObjectType, op);
    case 'USER': case 'ROLE': case 'SERVER': case 'TABLESPACE': case 'LOGFILE': case 'RESOURCE': case 'PACKAGE':
      return { kind: 'ignore', why: `${what.toLowerCase()} definition (not part of a database's tables)` };
    default: return { kind: 'other' };
  }
}

function table(c: Cursor, op: 'create' | 'alter' | 'drop', temporary: boolean): Statement {
  if (op === 'drop') {
    c.acceptSeq('IF', 'EXISTS');
    const tables = list(c);
    return tables.length ? { ...tableDdl('drop', tables), temporary } as Statement : { kind: 'other' };
  }
  c.acceptSeq('IF', 'NOT', 'EXISTS') || c.acceptSeq('IF', 'EXISTS');
  const t = c.table();
  if (!t) return { kind: 'other' };
  if (op === 'create') {
    let source: TableRef | null = null;
    if (c.accept('LIKE') || (c.op('(') && kw(c.peek(1)) === 'LIKE' && (c.i += 2))) source = c.table() ?? null;
    return { ...tableDdl('create', [t], { source }), temporary } as Statement;
  }
  return alterTable(c, t, temporary);
}

/** ALTER TABLE t ...: top-level RENAME [TO|AS] new, EXCHANGE PARTITION p WITH TABLE other. */
function alterTable(c: Cursor, t: TableRef, temporary: boolean): Statement {
  const renames: Array<[TableRef, TableRef]> = [];
  let source: TableRef | null = null;
  let depth = 0;
  while (c.peek()) {
    if (c.op('(')) depth++;
    else if (c.op(')')) depth--;
    else if (depth === 0 && c.word() === 'RENAME' && !['COLUMN', 'INDEX', 'KEY', 'CONSTRAINT'].includes(c.word(1))) {
      c.i++;
      c.accept('TO', 'AS');
      const to = c.table();
      if (to) renames.push([t, to]);
      continue;
    } else if (depth === 0 && c.word() === 'EXCHANGE' && c.word(1) === 'PARTITION') {
      while (c.peek() && !(c.word() === 'WITH' && c.word(1) === 'TABLE')) c.i++;
      c.i += 2;
      source = c.table() ?? null;
      continue;
    }
    c.i++;
  }
  const tables = [t, ...renames.map(([, to]) => to), ...(source ? [source] : [])];
  const op = renames.length ? 'rename' : 'alter';
  return { ...tableDdl(op, tables, { renames, source, alter: true }), temporary } as Statement;
}

function index(c: Cursor, op: 'create' | 'alter' | 'drop', what: string): Statement {
  if (what !== 'INDEX' && !c.accept('INDEX', 'KEY')) return { kind: 'other' };
  c.acceptSeq('IF', 'NOT', 'EXISTS') || c.acceptSeq('IF', 'EXISTS');
  c.i++; // index name
  while (c.peek() && c.word() !== 'ON') c.i++;
  if (!c.accept('ON')) return { kind: 'other' };
  const t = c.table();
  if (!t || op === 'alter') return { kind: 'other' };
  return tableDdl(op === 'create' ? 'create-index' : 'drop-index', [t]);
}

function rename(c: Cursor): Statement {
  c.i += 2;
  c.acceptSeq('IF', 'EXISTS');
  const renames: Array<[TableRef, TableRef]> = [];
  for (;;) {
    const from = c.table();
    if (!from || !c.accept('TO')) return { kind: 'other' };
    const to = c.table();
    if (!to) return { kind: 'other' };
    renames.push([from, to]);
    if (c.accept('WAIT', 'NOWAIT')) { if (c.peek()?.type === 'number') c.i++; }
    if (!c.op(',')) break;
    c.i++;
  }
  return tableDdl('rename', renames.flat(), { renames });
}

function objectDdl(c: Cursor, objectType: ObjectType, op: 'create' | 'alter' | 'drop'): Statement {
  c.acceptSeq('IF', 'NOT', 'EXISTS') || c.acceptSeq('IF', 'EXISTS');
  const name = c.table();
  if (!name) return { kind: 'other' };
  let on: TableRef | null = null;
  if (objectType === 'trigger' && op === 'create') {
    while (c.peek() && c.word() !== 'ON') c.i++;
    if (c.accept('ON')) on = c.table() ?? null;
  }
  return { kind: 'object-ddl', objectType, op, name, table: on };
}

/** a, b, `c`.`d` (DROP TABLE lists) */
function list(c: Cursor): TableRef[] {
  const out: TableRef[] = [];
  for (;;) {
    const t = c.table();
    if (!t) break;
    out.push(t);
    if (!c.op(',')) break;
    c.i++;
  }
  return out;
}

/**
 * Tables a statement-based DML statement writes: INSERT/REPLACE [INTO] t, UPDATE t[, t2],
 * DELETE FROM t, DELETE t1 FROM ..., LOAD DATA ... INTO TABLE t. 'unknown' when the shape is
 * unusual (multi-table forms with joins): the caller then treats every table as touched.
 */
function dmlTables(c: Cursor): TableRef[] | 'unknown' {
  const verb = c.word();
  c.i++;
  const modifiers = ['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'QUICK', 'CONCURRENT', 'LOCAL'];
  while (c.accept(...modifiers)) { /* skip them */ }
  if (verb === 'LOAD') {
    while (c.peek() && !(c.word() === 'INTO' && c.word(1) === 'TABLE')) c.i++;
    c.i += 2;
    const t = c.table();
    return t ? [t] : 'unknown';
  }
  if (verb === 'INSERT' || verb === 'REPLACE') {
    c.accept('INTO');
    const t = c.table();
    return t ? [t] : 'unknown';
  }
  if (verb === 'DELETE' && c.accept('FROM')) {
    const t = c.table();
    if (!t) return 'unknown';
    return c.op(',') || ['USING', 'JOIN', 'INNER', 'LEFT', 'STRAIGHT_JOIN'].includes(c.word()) ? 'unknown' : [t];
  }
  const t = c.table();
  if (!t) return 'unknown';
  return verb === 'UPDATE' && c.word() === 'SET' ? [t] : 'unknown';
}
