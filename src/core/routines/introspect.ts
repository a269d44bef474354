/**
 * Reads views, procedures, functions, triggers and events of the connection's database from
 * information_schema (context columns) and SHOW CREATE (exact definitions).
 */
import type { Db } from '../db/connection.js';
import { quoteId } from '../db/quote.js';
import { SyncError } from '../errors.js';
import { extractDefiner, parseDefinerPlain, type DefinerEnv } from './definer.js';
import {
  STATUS_MARK, eventStatus, type EventDef, type Programmables, type RoutineDef, type TriggerDef, type ViewDef,
} from './model.js';
import { unwrapTriggerBody } from './trigger-guard.js';

export interface ProgrammableScope {
  views: boolean;
  routines: boolean;
  triggers: boolean;
  events: boolean;
  /** Only objects with these names (or triggers on these tables); all when absent. */
  only?: Set<string>;
}

type R = Record<string, string | null>;
const s = (v: string | null | undefined) => v ?? '';

async function showCreate(db: Db, what: string, name: string, column: string): Promise<R | null> {
  const rows = await db.rows<R>(`SHOW CREATE ${what} ${quoteId(name)}`);
  const row = rows[0];
  if (!row) return null;
  if (row[column] === null) {
    throw new SyncError('SCHEMA_NO_PRIVILEGE', `SHOW CREATE ${what} ${quoteId(name)} returned no definition: `
      + "the connection's user may not read it", {
      hint: 'Grant the source user SHOW ROUTINE (MariaDB >= 10.5 / MySQL >= 8.0.20), or SELECT on mysql.proc '
        + 'on older servers, or turn off routines for the pair (`db-sync sync edit PAIR --no-routines`).',
    });
  }
  return row;
}

/** Drop `db`. qualifiers naming the object's own database (the target has another name). */
export function stripOwnDb(text: string, db: string): string {
  return text.split(`${quoteId(db)}.`).join('');
}

const STATUS_RE = /( ON COMPLETION (?:NOT )?PRESERVE )(ENABLE|DISABLE ON SLAVE|DISABLE ON REPLICA|DISABLE)\b/;

/** SHOW CREATE VIEW after the DEFINER: algorithm, security and the body after the (qualified) name. */
const CREATE_VIEW_RE = new RegExp('^CREATE (?:ALGORITHM=(\\w+) )?(?:SQL SECURITY (\\w+) )?VIEW '
  + '(?:`(?:[^`]|``)*`\\.)?`(?:[^`]|``)*` AS ([\\s\\S]*)$');

/** SHOW CREATE VIEW text -> ViewDef (pure; same shape on MariaDB and MySQL 8). */
export function parseCreateView(name: string, text: string, dbName: string, ctx: ViewDef['ctx']): ViewDef {
  const { definer, rest } = extractDefiner(text);
  const m = CREATE_VIEW_RE.exec(rest);
  if (!m) {
    const output = rest.slice(0, 200);
    throw new SyncError('SCHEMA_UNSUPPORTED', `unrecognised SHOW CREATE VIEW output for ${quoteId(name)}: ${output}`, {
      hint: 'Exclude the view with the pair\'s filters and report the server version and this output.',
    });
  }
  const body = stripOwnDb(m[3] as string, dbName);
  return { name, definer, algorithm: m[1] ?? 'UNDEFINED', security: m[2] ?? 'DEFINER', body, ctx };
}

/** SHOW CREATE EVENT text -> text after the DEFINER with the status clause replaced by STATUS_MARK. */
export function eventText(
  createEvent: string,
): { definer: ReturnType<typeof extractDefiner>['definer']; text: string } {
  const { definer, rest } = extractDefiner(createEvent);
  return { definer, text: rest.replace(/^CREATE\s+/, '').replace(STATUS_RE, `$1${STATUS_MARK}`) };
}

async function views(db: Db, dbName: string, only?: Set<string>): Promise<ViewDef[]> {
  const rows = await db.rows<R>(
    `SELECT TABLE_NAME AS n, CHARACTER_SET_CLIENT AS cs, COLLATION_CONNECTION AS cc
       FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`);
  const out: ViewDef[] = [];
  for (const r of rows) {
    const name = s(r.n);
    if (only && !only.has(name)) continue;
    const row = await showCreate(db, 'VIEW', name, 'Create View');
    if (!row) continue;
    const ctx = { characterSetClient: s(r.cs), collationConnection: s(r.cc) };
    out.push(parseCreateView(name, s(row['Create View']), dbName, ctx));
  }
  return out;
}

async function routines(db: Db): Promise<RoutineDef[]> {
  const rows = await db.rows<R>(
    `SELECT ROUTINE_NAME AS n, ROUTINE_TYPE AS t, SQL_MODE AS m, CHARACTER_SET_CLIENT AS cs,
            COLLATION_CONNECTION AS cc, DATABASE_COLLATION AS dc
       FROM information_schema.ROUTINES
      WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION')
      ORDER BY ROUTINE_TYPE, ROUTINE_NAME`);
  const out: RoutineDef[] = [];
  for (const r of rows) {
    const kind = s(r.t) === 'FUNCTION' ? 'function' : 'procedure';
    const column = kind === 'function' ? 'Create Function' : 'Create Procedure';
    const row = await showCreate(db, kind.toUpperCase(), s(r.n), column);
    if (!row) continue;
    const { definer, rest } = extractDefiner(s(row[kind === 'function' ? 'Create Function' : 'Create Procedure']));
    out.push({
      kind, name: s(r.n), definer, text: rest.replace(/^CREATE\s+/, ''),
      ctx: { sqlMode: s(r.m), characterSetClient: s(r.cs), collationConnection: s(r.cc), databaseCollation: s(r.dc) },
    });
  }
  return out;
}

async function triggers(db: Db, only?: Set<string>): Promise<TriggerDef[]> {
  const rows = await db.rows<R>(
    `SELECT TRIGGER_NAME AS n, EVENT_OBJECT_TABLE AS tb, ACTION_TIMING AS ti, EVENT_MANIPULATION AS ev,
            ACTION_ORDER AS o, ACTION_STATEMENT AS body, DEFINER AS d, SQL_MODE AS m,
            CHARACTER_SET_CLIENT AS cs, COLLATION_CONNECTION AS cc, DATABASE_COLLATION AS dc
       FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
      ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`);
  return rows
    .filter((r) => !only || only.has(s(r.tb)) || only.has(s(r.n)))
    .map((r) => {
      const { body, guarded } = unwrapTriggerBody(s(r.body));
      return {
        name: s(r.n), table: s(r.tb), timing: s(r.ti), event: s(r.ev), order: Number(r.o ?? 0),
        definer: parseDefinerPlain(r.d), body, guarded,
        ctx: { sqlMode: s(r.m), characterSetClient: s(r.cs), collationConnection: s(r.cc), databaseCollation: s(r.dc) },
      };
    });
}

async function events(db: Db): Promise<EventDef[]> {
  const rows = await db.rows<R>(
    `SELECT EVENT_NAME AS n, STATUS AS st, TIME_ZONE AS tz, SQL_MODE AS m, CHARACTER_SET_CLIENT AS cs,
            COLLATION_CONNECTION AS cc, DATABASE_COLLATION AS dc
       FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY EVENT_NAME`);
  const out: EventDef[] = [];
  for (const r of rows) {
    const row = await showCreate(db, 'EVENT', s(r.n), 'Create Event');
    if (!row) continue;
    const { definer, text } = eventText(s(row['Create Event']));
    out.push({
      name: s(r.n), definer, text, status: eventStatus(s(r.st)), timeZone: s(r.tz),
      ctx: { sqlMode: s(r.m), characterSetClient: s(r.cs), collationConnection: s(r.cc), databaseCollation: s(r.dc) },
    });
  }
  return out;
}

export async function introspectProgrammables(db: Db, dbName: string,
  scope: ProgrammableScope): Promise<Programmables> {
  const all = !scope.only;
  return {
    views: scope.views ? await views(db, dbName, scope.only) : [],
    routines: scope.routines && all ? await routines(db) : [],
    triggers: scope.triggers ? await triggers(db, scope.only) : [],
    events: scope.events && all ? await events(db) : [],
  };
}

/** The target's accounts (for the DEFINER rule) and its CURRENT_USER(). */
export async function readDefinerEnv(db: Db): Promise<DefinerEnv> {
  const cu = await db.rows<{ u: string }>('SELECT CURRENT_USER() AS u');
  let accounts: Set<string> | null = null;
  try {
    const rows = await db.rows<{ u: string; h: string }>('SELECT User AS u, Host AS h FROM mysql.user');
    accounts = new Set(rows.map((r) => `${r.u}@${r.h}`));
  } catch {
    accounts = null; // not readable: every DEFINER becomes CURRENT_USER
  }
  return { accounts, currentUser: parseDefinerPlain(cu[0]?.u) };
}
