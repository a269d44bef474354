/**
 * The target side of a cut-over: how far the pair has applied (its binlog checkpoint, written
 * in the same transaction as the rows, so it never claims more than the target has), and the
 * events that were created disabled (DISABLE ON SLAVE) and get the source's status at the end.
 */
import { CHECKPOINT_TABLE, readCheckpoint } from '../data/checkpoint.js';
import type { Db } from '../db/connection.js';
import { isMissingTable } from '../db/db-errors.js';
import { quoteId } from '../db/quote.js';
import { eventStatus, type EventStatus } from '../routines/model.js';
import { TARGET_EVENT_STATUS } from '../routines/render.js';
import { isSyncError, SyncError } from '../errors.js';
import type { BinlogPoint } from './source.js';

/** The 'binlog' checkpoint row's JSON state; only file and pos are relied on here. */
export interface AppliedPoint extends BinlogPoint {
  gtid?: string;
  serverId?: number;
}

export const BINLOG_CHECKPOINT_STREAM = 'binlog';

/** The pair's applied binlog position, or null when it has none (never streamed, poll mode). */
export async function appliedPoint(db: Db, pair: string): Promise<AppliedPoint | null> {
  try {
    const state = await readCheckpoint<Partial<AppliedPoint>>(db, pair, BINLOG_CHECKPOINT_STREAM);
    if (!state || typeof state.file !== 'string' || state.pos === undefined) return null;
    return { ...state, file: state.file, pos: Number(state.pos) };
  } catch (err) {
    if (isMissingTable(err)) return null;
    throw err;
  }
}

export function noCheckpoint(pair: string): SyncError {
  const what = `pair "${pair}" has no binlog checkpoint on the target (no row in ${CHECKPOINT_TABLE})`;
  return new SyncError('CUTOVER_NO_CHECKPOINT', what, {
    hint: 'The pair has not streamed from the source\'s binlog yet: start the service '
      + '(`db-sync service start --daemon`) and wait until `db-sync status` shows it streaming. '
      + 'Pairs in polling mode cannot be cut over with this command.',
  });
}

/** Each event of a database with its STATUS (MySQL's REPLICA_SIDE_DISABLED read as SLAVESIDE_DISABLED). */
async function eventStatuses(db: Db, schema: string): Promise<Map<string, EventStatus>> {
  const sql = 'SELECT EVENT_NAME AS name, STATUS AS status FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? '
    + 'ORDER BY EVENT_NAME';
  const rows = await db.rows<{ name: string; status: string }>(sql, [schema]);
  return new Map(rows.map((r) => [r.name, eventStatus(String(r.status))]));
}

/** What step 5 changes: the events db-sync created disabled on the target, by their status on the source. */
export interface EventChanges {
  enable: string[];
  disable: string[];
}

/**
 * The target's events created disabled (DISABLE ON SLAVE, as a native replica has them) that
 * get the source's status at the end: ENABLE where the source's is ENABLED, DISABLE where it is
 * DISABLED. One the source itself has replica-side disabled stays as it is.
 */
export async function eventChanges(src: Db, srcSchema: string, tgt: Db, tgtSchema: string): Promise<EventChanges> {
  const [onSource, onTarget] = [await eventStatuses(src, srcSchema), await eventStatuses(tgt, tgtSchema)];
  const created = [...onTarget].filter(([, s]) => s === TARGET_EVENT_STATUS).map(([name]) => name);
  return {
    enable: created.filter((n) => onSource.get(n) === 'ENABLED'),
    disable: created.filter((n) => onSource.get(n) === 'DISABLED'),
  };
}

export async function setEventStatus(db: Db, schema: string, names: string[], to: 'ENABLE' | 'DISABLE'): Promise<void> {
  for (const name of names) await db.exec(`ALTER EVENT ${quoteId(schema)}.${quoteId(name)} ${to}`);
}

export async function eventSchedulerOn(db: Db): Promise<boolean> {
  const [row] = await db.rows<{ s: string }>('SELECT @@GLOBAL.event_scheduler AS s');
  return String(row?.s).toUpperCase() === 'ON';
}
