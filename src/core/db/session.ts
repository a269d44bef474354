/**
 * The session every db-sync WRITE connection to a target uses (data apply, snapshot,
 * repair, polling upserts).
 *
 * - `@db_sync_applying = 1` marks the session: triggers that db-sync creates on the target
 *   are wrapped in `IF @db_sync_applying IS NULL THEN ... END IF`, so rows db-sync writes do
 *   not fire side effects a second time (the source's trigger effects arrive as their own
 *   row events). Writes by anyone else on the target still fire the triggers.
 * - foreign_key_checks=0 to start with: snapshot chunks arrive table by table (a child chunk
 *   may come before its parent's). The binlog applier then sets it per row event, as the
 *   source session had it, so the target cascades like the source did.
 * - sql_mode: strict (a value the target cannot hold stops the pair rather than being
 *   clamped), but zero dates and invalid dates allowed (they are legal source values), and
 *   NO_AUTO_VALUE_ON_ZERO so an id of 0 stays 0.
 * - time_zone UTC so TIMESTAMP values are never shifted.
 */
import { type Queryable } from './connection.js';

export const APPLY_MARKER_VAR = '@db_sync_applying';
export const APPLY_SQL_MODE = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,ALLOW_INVALID_DATES';

export async function prepareApplySession(db: Queryable): Promise<void> {
  await db.rows(
    `SET SESSION sql_mode = '${APPLY_SQL_MODE}', SESSION time_zone = '+00:00', SESSION foreign_key_checks = 0, `
      + `${APPLY_MARKER_VAR} = 1`,
  );
}
