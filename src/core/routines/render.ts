/**
 * CREATE statements and session context for programmable objects on the target. Pure.
 */
import type { DdlSession, DdlStep, DdlObjectType, DdlAction } from '../db/ddl-step.js';
import { quoteId } from '../db/quote.js';
import { targetDefiner, type DefinerEnv } from './definer.js';
import {
  STATUS_MARK, type EventDef, type ObjectContext, type RoutineDef, type TriggerDef, type ViewDef,
} from './model.js';
import { wrapTriggerBody } from './trigger-guard.js';

const UTF8 = /^utf8/;

/**
 * The session the object is created in, so the server stores the source's context. mysql2
 * always sends UTF-8: a non-UTF-8 client character set is kept only when the text is ASCII
 * (otherwise its bytes would be misread); that case is reported as a note.
 */
export function sessionFor(ctx: ObjectContext, text: string,
  extra: Partial<DdlSession> = {}): { session: DdlSession; notes: string[] } {
  const notes: string[] = [];
  let cs = ctx.characterSetClient;
  let cc = ctx.collationConnection;
  // eslint-disable-next-line no-control-regex
  if (cs && !UTF8.test(cs) && /[^\u0000-\u007f]/.test(text)) {
    notes.push(`created with character_set_client utf8mb4 instead of ${cs}: the definition has non-ASCII text`);
    cs = 'utf8mb4';
    cc = 'utf8mb4_general_ci';
  }
  const session: DdlSession = { ...extra };
  if (ctx.sqlMode !== undefined) session.sqlMode = ctx.sqlMode;
  if (cs) session.characterSetClient = cs;
  if (cc) session.collationConnection = cc;
  if (ctx.databaseCollation) session.collationDatabase = ctx.databaseCollation;
  return { session, notes };
}

export function objStep(objectType: DdlObjectType, name: string, action: DdlAction, phase: number,
  statements: string[], notes: string[] = [], session?: DdlSession): DdlStep {
  return {
    objectType, name, action, phase, statements, destructive: false, reasons: [], notes,
    ...(session ? { session } : {}),
  };
}

export function createView(v: ViewDef, env: DefinerEnv): string {
  return `CREATE OR REPLACE ALGORITHM=${v.algorithm} DEFINER=${targetDefiner(v.definer, env)} `
    + `SQL SECURITY ${v.security} VIEW ${quoteId(v.name)} AS ${v.body}`;
}

export function createRoutine(r: RoutineDef, env: DefinerEnv): string {
  return `CREATE DEFINER=${targetDefiner(r.definer, env)} ${r.text}`;
}

export function createTrigger(t: TriggerDef, env: DefinerEnv): string {
  return `CREATE DEFINER=${targetDefiner(t.definer, env)} TRIGGER ${quoteId(t.name)} ${t.timing} ${t.event} `
    + `ON ${quoteId(t.table)} FOR EACH ROW ${wrapTriggerBody(t.body)}`;
}

/**
 * The status clause on the target: replicated events never run there until cut-over gives them
 * the source's status. Enabled or disabled on the source, the target's is DISABLE ON SLAVE
 * (SLAVESIDE_DISABLED), as a native replica's: MariaDB's and MySQL's replication threads give
 * every event they create or alter that status.
 */
export function createEvent(e: EventDef, env: DefinerEnv, disabledOnTarget: string): string {
  return `CREATE DEFINER=${targetDefiner(e.definer, env)} ${e.text.replace(STATUS_MARK, disabledOnTarget)}`;
}

/** The status every synced event has on the target (createEvent). */
export const TARGET_EVENT_STATUS: EventDef['status'] = 'SLAVESIDE_DISABLED';

export function sameCtx(a: ObjectContext, b: ObjectContext): boolean {
  return (a.sqlMode ?? '') === (b.sqlMode ?? '') && a.characterSetClient === b.characterSetClient
    && a.collationConnection === b.collationConnection && (a.databaseCollation ?? '') === (b.databaseCollation ?? '');
}
