/**
 * The plain data that schema (tables) and routines (views, procedures, functions,
 * triggers, events) diffs produce, and the one place that applies it to a target.
 * Shared here because core/schema and core/routines never import each other.
 */
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Db } from './connection.js';
import { isRetryableDbError, serverMessage } from './db-errors.js';

export type DdlObjectType = 'table' | 'view' | 'procedure' | 'function' | 'trigger' | 'event';
export type DdlAction = 'create' | 'alter' | 'drop' | 'replace' | 'partition';

/** Session context a programmable object keeps (it is stored with the object). */
export interface DdlSession {
  sqlMode?: string;
  characterSetClient?: string;
  collationConnection?: string;
  collationDatabase?: string;
  timeZone?: string;
}

/**
 * Apply order. Drops of programmable objects first (they may reference tables that change),
 * then tables, then routines before views (a view may call a function), triggers, events.
 */
export const PHASE = {
  dropView: 10, dropTrigger: 20, dropEvent: 30, dropRoutine: 40, dropTable: 50,
  createTable: 60, dropForeignKey: 65, alterTable: 70, addForeignKey: 72, partition: 75,
  routine: 80, view: 90, trigger: 100, event: 110,
} as const;

export interface DdlStep {
  objectType: DdlObjectType;
  /** Object name; for triggers `table.trigger`-free: just the trigger name. */
  name: string;
  action: DdlAction;
  phase: number;
  statements: string[];
  /** Can lose data (DROP TABLE, DROP COLUMN, narrowing type). */
  destructive: boolean;
  /** Why it is destructive, one line each. */
  reasons: string[];
  /** Things the operator should know (e.g. an event created disabled). */
  notes: string[];
  session?: DdlSession;
}

export interface ApplyOptions {
  logger: Logger;
  signal?: AbortSignal;
  /** Awaited before each statement; throws to stop before it (the pair's lock is gone). */
  guard?: () => Promise<void>;
}

export function sortSteps(steps: DdlStep[]): DdlStep[] {
  return steps.map((s, i) => ({ s, i })).sort((a, b) => a.s.phase - b.s.phase || a.i - b.i).map((x) => x.s);
}

interface Baseline {
  sql_mode: string;
  character_set_client: string;
  collation_connection: string;
  collation_database: string;
  time_zone: string;
}

async function readBaseline(db: Db): Promise<Baseline> {
  const [row] = await db.rows<Baseline>('SELECT @@SESSION.sql_mode AS sql_mode, '
    + '@@SESSION.character_set_client AS character_set_client, @@SESSION.collation_connection AS collation_connection, '
    + '@@SESSION.collation_database AS collation_database, @@SESSION.time_zone AS time_zone');
  return row as Baseline;
}

async function setSession(db: Db, s: Baseline): Promise<void> {
  // character_set_client before collation_connection: the latter also sets character_set_connection.
  await db.exec(
    'SET SESSION sql_mode = ?, SESSION character_set_client = ?, SESSION collation_connection = ?, '
      + 'SESSION collation_database = ?, SESSION time_zone = ?',
    [s.sql_mode, s.character_set_client, s.collation_connection, s.collation_database, s.time_zone],
  );
}

function merge(base: Baseline, s: DdlSession | undefined): Baseline {
  if (!s) return base;
  return {
    sql_mode: s.sqlMode ?? base.sql_mode,
    character_set_client: s.characterSetClient ?? base.character_set_client,
    collation_connection: s.collationConnection ?? base.collation_connection,
    collation_database: s.collationDatabase ?? base.collation_database,
    time_zone: s.timeZone ?? base.time_zone,
  };
}

function failure(step: DdlStep, sql: string, err: unknown): SyncError {
  const msg = serverMessage(err);
  // Lock wait timeout, deadlock, lost connection: the same DDL may well succeed on a retry.
  const retryable = isRetryableDbError(err);
  const what = `applying ${step.objectType} ${JSON.stringify(step.name)} failed: ${msg}\n  statement: ${sql}`;
  return new SyncError('SCHEMA_APPLY_FAILED', what, {
    hint: retryable
      ? 'A lock or connection problem on the target; db-sync retries. If it persists, look for long transactions '
        + 'holding locks on that table.'
      : 'Fix the cause on the target (or the source definition), then run the sync again: it re-plans and '
        + 'continues from where it stopped. `db-sync plan PAIR` shows what is left.',
    retryable,
    cause: err,
    details: { object: step.name, objectType: step.objectType, statement: sql, serverMessage: msg },
  });
}

/**
 * Run the steps in order on a dedicated DDL connection. Each statement is logged (DDL has no
 * row values). Stops at the first failure with SCHEMA_APPLY_FAILED; re-planning after a fix
 * continues from there because the plan is computed from the live state.
 */
export async function applyDdlSteps(db: Db, steps: DdlStep[], opts: ApplyOptions): Promise<number> {
  // Tables may be created before the tables their foreign keys reference. A DDL waiting
  // behind a long target transaction gives up after 2 minutes (retryable) instead of a year.
  await db.exec('SET SESSION foreign_key_checks = 0, SESSION lock_wait_timeout = 120');
  const base = await readBaseline(db);
  let applied = 0;
  let current = '';
  for (const step of steps) {
    if (opts.signal?.aborted) break;
    const wanted = merge(base, step.session);
    // One round trip saved per step when consecutive steps share a context (e.g. tables).
    if (JSON.stringify(wanted) !== current) {
      await setSession(db, wanted);
      current = JSON.stringify(wanted);
    }
    for (const sql of step.statements) {
      await opts.guard?.();
      opts.logger.info({ object: step.name, objectType: step.objectType, action: step.action, sql }, 'schema apply');
      try {
        await db.exec(sql);
      } catch (err) {
        // The statement's error is the one to report; restoring the session is best effort.
        await setSession(db, base).catch(() => undefined);
        throw failure(step, sql, err);
      }
    }
    applied += 1;
  }
  await setSession(db, base);
  return applied;
}
