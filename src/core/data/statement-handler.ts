/**
 * What the apply loop does with a statement from the binlog (a Query event other than
 * BEGIN/COMMIT): transaction control acts on the open source transaction, DDL is replayed
 * at its place (ddl-plan.ts, ddl-replay.ts), statement-based DML on synced tables stops the
 * pair (it cannot be applied exactly), anything unknown that concerns the synced database
 * stops it too. Nothing is skipped silently: skipped statements are logged with the reason.
 */
import { SyncError } from '../errors.js';
import type { TableMode } from './applier.js';
import type { StreamOptions } from './stream-types.js';
import { crashPoint } from '../crash-point.js';
import { planDdl, type DdlPlan } from './ddl-plan.js';
import { DDL_JOURNAL, fingerprint, runDdl, type DdlJournal } from './ddl-replay.js';
import { comparePositions, type ChangeEvent } from './events.js';
import { classifyStatement, type Statement } from './statement-kind.js';
import { tokenize } from './sql-lexer.js';
import { lexModes } from './status-vars.js';

export type StatementOutcome =
  | { kind: 'none' }
  /** The source transaction ended in ROLLBACK. */
  | { kind: 'rollback' }
  | { kind: 'xa-start' }
  /** Nothing to apply; a standalone statement ends its group here. */
  | { kind: 'boundary' }
  /** DDL handled: commit `extra` with the checkpoint after it; copy `copy` before streaming on. */
  | { kind: 'ddl-done'; extra: Array<[string, unknown]>; copy: string[] };

type QueryEvent = Extract<ChangeEvent, { type: 'query' }>;
interface TxnState { open: boolean; rows: number; xa: boolean }

const NONE: StatementOutcome = { kind: 'none' };
const BOUNDARY: StatementOutcome = { kind: 'boundary' };

/** Identifier bytes as a name: UTF-8 when they are valid UTF-8, else one char per byte. */
export function decodeName(raw: string): string {
  const utf8 = Buffer.from(raw, 'latin1').toString('utf8');
  return utf8.includes('\uFFFD') ? raw : utf8;
}

export class StatementHandler {
  private journal: DdlJournal | null;

  constructor(private readonly opts: StreamOptions) {
    this.journal = opts.journal;
  }

  async handle(ev: QueryEvent, txn: TxnState, flush: () => Promise<void>): Promise<StatementOutcome> {
    const text = ev.sql.toString('latin1');
    const lex = lexModes(ev.context);
    const stmt = classifyStatement(text, { ...lex, decodeName });
    switch (stmt.kind) {
      case 'txn': return stmt.op === 'rollback' && txn.open ? { kind: 'rollback' } : BOUNDARY;
      case 'savepoint':
        if (txn.open) await this.opts.applier.savepoint(stmt.op, decodeName(stmt.name));
        return NONE;
      case 'xa':
        if (stmt.op === 'start') return { kind: 'xa-start' };
        if ((stmt.op === 'end' || stmt.op === 'prepare') && txn.rows > 0) throw xaUnsupported();
        return txn.open ? NONE : BOUNDARY;
      case 'dml':
        this.dml(ev, stmt, text, lex);
        return txn.open ? NONE : BOUNDARY;
      case 'table-ddl': case 'object-ddl': case 'database-ddl':
        return this.ddl(ev, stmt, text, txn, flush);
      case 'ignore':
        this.opts.logger.debug({ statement: preview(ev.sql), why: stmt.why }, 'binlog statement skipped');
        return txn.open ? NONE : BOUNDARY;
      case 'other':
        if (ev.schema === this.opts.sourceSchema || this.mentionsOurs(text, lex)) throw unsupported(ev);
        return txn.open ? NONE : BOUNDARY;
    }
  }

  private mentionsOurs(text: string, lex: ReturnType<typeof lexModes>): boolean {
    const code = tokenize(text, lex).filter((t) => t.type !== 'comment');
    return code.some((t, k) => (t.type === 'word' || t.type === 'qident')
      && decodeName(t.value) === this.opts.sourceSchema
      && code[k + 1]?.type === 'op' && code[k + 1]?.value === '.');
  }

  /** Statement-based DML (a session in binlog_format=STATEMENT/MIXED) on synced tables cannot be applied exactly. */
  private dml(ev: QueryEvent, stmt: Extract<Statement, { kind: 'dml' }>, text: string,
    lex: ReturnType<typeof lexModes>): void {
    const mode = (t: string): TableMode => this.opts.tableMode(t);
    let touched: string[] | 'all';
    if (stmt.tables === 'unknown') {
      touched = ev.schema === this.opts.sourceSchema || this.mentionsOurs(text, lex) ? 'all' : [];
    } else {
      touched = stmt.tables
        .filter((r) => (r.db ?? ev.schema) === this.opts.sourceSchema && this.opts.inScope(r.name))
        .map((r) => r.name);
    }
    if (touched !== 'all' && (touched.length === 0 || touched.every((t) => mode(t) === 'skip'))) return;
    const what = touched === 'all' ? `database ${this.opts.sourceSchema}` : `table ${touched.join(', ')}`;
    const recopy = touched === 'all' ? 'TABLE[,TABLE]' : touched.join(',');
    throw new SyncError('BINLOG_STATEMENT_DML', `a session on the source changed ${what} `
      + 'in binlog_format=STATEMENT or MIXED; db-sync needs each changed row (ROW format) to apply it exactly: '
      + preview(ev.sql), {
      hint: "On the source, keep binlog_format=ROW for every session (SET GLOBAL binlog_format='ROW', "
        + 'and find the application or script that runs SET SESSION binlog_format). '
        + `Then re-copy what the statement changed: \`db-sync sync run PAIR --recopy ${recopy}\` (or --resnapshot).`,
      details: { statement: preview(ev.sql), tables: touched },
    });
  }

  private async ddl(ev: QueryEvent, stmt: Statement, text: string, txn: TxnState,
    flush: () => Promise<void>): Promise<StatementOutcome> {
    if (txn.open && txn.rows > 0) {
      const message = `DDL arrived inside a transaction that already changed rows: ${preview(ev.sql)}`;
      throw new SyncError('BINLOG_SEQUENCE', message, {
        hint: 'db-sync stops rather than split the transaction. Report this with the source version; '
          + '`db-sync sync run PAIR --resnapshot` starts over.',
      });
    }
    await flush();
    const truncate = stmt.kind === 'table-ddl' && stmt.op === 'truncate'; // rows, not schema: applied in any case
    if (stmt.kind === 'object-ddl' ? !this.opts.syncObjects : !this.opts.replayDdl && !truncate) {
      this.opts.logger.info({ statement: preview(ev.sql) },
        'DDL in the stream not applied: the pair does not sync schema/routines');
      return txn.open ? NONE : BOUNDARY;
    }
    const plan = planDdl(stmt, {
      sql: text, defaultDb: ev.schema, sourceDb: this.opts.sourceSchema, targetDb: this.opts.targetSchema,
      inScope: this.opts.inScope, lex: lexModes(ev.context), decodeName,
    });
    const content = stmt.kind === 'table-ddl' && stmt.alter && stmt.source !== null;
    return this.apply(plan, ev, content);
  }

  private async apply(plan: DdlPlan, ev: QueryEvent, content: boolean): Promise<StatementOutcome> {
    switch (plan.action) {
      case 'skip':
        this.opts.logger.debug({ statement: preview(ev.sql), why: plan.reason }, 'DDL in the stream skipped');
        return ev.inTxn ? NONE : BOUNDARY;
      case 'stop':
        throw new SyncError(plan.code, plan.message, { hint: plan.hint });
      case 'objects':
        this.opts.logger.info({ statement: preview(ev.sql), objects: plan.objects },
          'DDL in the stream: re-syncing objects');
        await this.opts.onObjects(plan.objects);
        return { kind: 'ddl-done', extra: [], copy: [] };
      case 'truncate':
        if (this.opts.tableMode(plan.table) !== 'skip') await this.opts.applier.truncate(plan.table);
        return { kind: 'ddl-done', extra: [], copy: [] };
      case 'replay':
        return this.replay(plan, ev, content);
    }
  }

  private async replay(plan: Extract<DdlPlan, { action: 'replay' }>, ev: QueryEvent,
    content: boolean): Promise<StatementOutcome> {
    const { applier } = this.opts;
    for (const note of plan.notes) { this.opts.logger.warn(note); this.opts.onWarning?.(note); }
    if (plan.statements.length) {
      this.opts.logger.info({ statement: preview(ev.sql), tables: plan.tables },
        'DDL in the stream: replaying it on the target');
      let run = true;
      if (this.journal && comparePositions(this.journal.at, ev.position) === 0) {
        const now = await fingerprint(applier.session, this.opts.targetSchema, plan.tables, content);
        run = now === this.journal.before;
        if (!run) this.opts.logger.info('the statement already ran before the restart: not running it twice');
      } else {
        const before = await fingerprint(applier.session, this.opts.targetSchema, plan.tables, content);
        await applier.commit([[DDL_JOURNAL, { at: ev.position, before } satisfies DdlJournal]]);
      }
      this.journal = null;
      // before it runs: a statement naming a table not copied yet makes every table it names one to copy
      this.opts.catchUp?.onTableDdl(plan.tables);
      if (run) await this.runTolerant(plan, ev);
      applier.invalidate();
      applier.forgetFkChecks();
      crashPoint('stream.after-ddl');
      await applier.checkCascades();
    }
    let copy = plan.copy;
    if (this.opts.catchUp) {
      if (copy.length) this.opts.catchUp.onCopy(copy);
      copy = [];
    }
    return { kind: 'ddl-done', extra: plan.statements.length ? [[DDL_JOURNAL, null]] : [], copy };
  }

  /** In a snapshot's catch-up, tables not copied yet are re-created when copied: their DDL may fail. */
  private async runTolerant(plan: Extract<DdlPlan, { action: 'replay' }>, ev: QueryEvent): Promise<void> {
    try {
      const at = Math.floor(ev.timestamp / 1000);
      await runDdl(this.opts.applier.session, plan.statements, ev.context, at, this.opts.baseline);
    } catch (err) {
      const allSkipped = plan.tables.length > 0 && plan.tables.every((t) => this.opts.tableMode(t) === 'skip');
      if (!this.opts.catchUp || !allSkipped) throw err;
      this.opts.logger.info({ statement: preview(ev.sql), err: (err as Error).message },
        'DDL on tables not copied yet failed; they are re-created when copied');
    }
  }
}

export function preview(sql: Buffer): string {
  const text = sql.toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function unsupported(ev: QueryEvent): SyncError {
  return new SyncError('STATEMENT_UNSUPPORTED', "the source's binlog holds a statement db-sync cannot replay "
    + `on the synced database: ${preview(ev.sql)}`, {
    hint: 'db-sync stops rather than skip it. If the statement changed synced tables, re-copy them after the '
      + 'position: `db-sync sync run PAIR --recopy TABLE[,TABLE]` (or --resnapshot); '
      + 'report the statement so db-sync learns it.',
    details: { statement: preview(ev.sql) },
  });
}

export function xaUnsupported(): SyncError {
  return new SyncError('XA_UNSUPPORTED', 'an XA transaction on the source changed tables the pair syncs; '
    + 'db-sync cannot apply XA transactions (their PREPARE and COMMIT are separate in the binlog)', {
    hint: 'Avoid XA transactions on synced tables (XA COMMIT ... ONE PHASE is fine: it is logged as a normal '
      + 'transaction). To continue, re-copy the tables it changed: `db-sync sync run PAIR --recopy TABLE`, '
      + 'or `--resnapshot`.',
  });
}
