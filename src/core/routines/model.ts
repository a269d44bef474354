/**
 * Programmable objects as db-sync compares them: views, procedures, functions, triggers,
 * events. Each keeps the session context it was created with (sql_mode, client character
 * set, connection and database collation), because the server stores and uses it.
 */
export interface Definer {
  user: string;
  host: string;
}

export interface ObjectContext {
  sqlMode?: string;
  characterSetClient: string;
  collationConnection: string;
  databaseCollation?: string;
}

export interface ViewDef {
  name: string;
  definer: Definer | null;
  algorithm: string;
  security: string;
  /** SELECT ... after `AS`, with qualifiers naming the object's own database removed. */
  body: string;
  ctx: ObjectContext;
}

export interface RoutineDef {
  kind: 'procedure' | 'function';
  name: string;
  definer: Definer | null;
  /** SHOW CREATE text after `CREATE DEFINER=...`, starting at PROCEDURE / FUNCTION. */
  text: string;
  ctx: ObjectContext;
}

export interface TriggerDef {
  name: string;
  table: string;
  timing: string;
  event: string;
  order: number;
  definer: Definer | null;
  /** The source's body; on the target, the body inside db-sync's guard. */
  body: string;
  /** True when the body is wrapped in db-sync's apply-session guard. */
  guarded: boolean;
  ctx: ObjectContext;
}

export type EventStatus = 'ENABLED' | 'DISABLED' | 'SLAVESIDE_DISABLED';

/** information_schema.EVENTS.STATUS as one name: MySQL 8.0.22+ says REPLICA_SIDE_DISABLED for SLAVESIDE_DISABLED. */
export function eventStatus(status: string): EventStatus {
  return status === 'REPLICA_SIDE_DISABLED' ? 'SLAVESIDE_DISABLED' : status as EventStatus;
}

export interface EventDef {
  name: string;
  definer: Definer | null;
  /** SHOW CREATE EVENT text after the DEFINER, with the status clause replaced by STATUS_MARK. */
  text: string;
  status: EventStatus;
  timeZone: string;
  ctx: ObjectContext;
}

export const STATUS_MARK = '\u0000STATUS\u0000';

export interface Programmables {
  views: ViewDef[];
  routines: RoutineDef[];
  triggers: TriggerDef[];
  events: EventDef[];
}
