/**
 * Runs DDL from the binlog on the target, in the session context the source ran it in
 * (status-vars.ts: sql_mode, character sets, time zone, the statement's time ...), then puts
 * the apply session back as it was. FOREIGN_KEY_CHECKS is off for DDL: the target does not
 * have the tables of other databases or outside the pair's filters that the source's
 * foreign keys may name, and the source already validated the statement.
 *
 * DDL commits implicitly, so it cannot share a transaction with the checkpoint. A journal
 * row makes it crash-safe: before the statement runs, the checkpoint row 'ddl' records its
 * position and a fingerprint of the tables it changes (SHOW CREATE TABLE, or 'absent');
 * the binlog checkpoint moves past the statement and the journal is cleared in one
 * transaction after it. A restart that meets the statement again compares the fingerprint:
 * changed means the statement already ran (MariaDB 10.6+/MySQL 8 DDL is atomic) and it is
 * not run twice.
 */
import { createHash } from 'node:crypto';
import type { BinarySession } from '../db/connection.js';
import { isMissingTable } from '../db/db-errors.js';
import { quoteId } from '../db/quote.js';
import { APPLY_SQL_MODE } from '../db/session.js';
import { SyncError } from '../errors.js';
import type { BinlogPosition } from './events.js';
import { sessionAssignments, type StatementContext } from './status-vars.js';

export const DDL_JOURNAL = 'ddl';

export interface DdlJournal {
  at: BinlogPosition;
  before: string;
}

/** A digest of the target tables' definitions (and rows, when `content`). */
export async function fingerprint(session: BinarySession, targetDb: string, tables: string[],
  content = false): Promise<string> {
  const h = createHash('sha256');
  for (const t of [...tables].sort()) {
    h.update(`${t}\0`);
    try {
      const [row] = await session.rows<Record<string, string>>(`SHOW CREATE TABLE ${quoteId(targetDb)}.${quoteId(t)}`);
      h.update(String(row?.['Create Table'] ?? row?.['Create View'] ?? '').replace(/ AUTO_INCREMENT=\d+/, ''));
      if (content) {
        const [sum] = await session.rows<{ Checksum: string | null }>(
          `CHECKSUM TABLE ${quoteId(targetDb)}.${quoteId(t)}`);
        h.update(`\0${sum?.Checksum ?? ''}`);
      }
    } catch (err) {
      if (!isMissingTable(err)) throw err;
      h.update('absent');
    }
    h.update('\n');
  }
  return h.digest('hex');
}

/** The apply session's own settings, read once, to return to after each statement. */
export async function sessionBaseline(session: BinarySession): Promise<string> {
  const [b] = await session.rows<Record<string, string | number>>(
    `SELECT @@SESSION.collation_server AS cs, @@SESSION.collation_database AS cd, @@SESSION.lc_time_names AS lc,
            @@SESSION.auto_increment_increment AS ai, @@SESSION.auto_increment_offset AS ao,
            @@SESSION.unique_checks AS uc, @@SESSION.sql_auto_is_null AS an`);
  if (!b) throw new SyncError('INTERNAL', 'cannot read the apply session settings');
  return `SET SESSION sql_mode = '${APPLY_SQL_MODE}', character_set_client = binary, collation_connection = binary, `
    + `collation_server = '${b.cs}', collation_database = '${b.cd}', time_zone = '+00:00', lc_time_names = '${b.lc}', `
    + `auto_increment_increment = ${Number(b.ai)}, auto_increment_offset = ${Number(b.ao)}, foreign_key_checks = 0, `
    + `unique_checks = ${Number(b.uc)}, sql_auto_is_null = ${Number(b.an)}, timestamp = DEFAULT`;
}

export interface ReplayStatement {
  sql: Buffer;
  /** Run in the source statement's context (else in the apply session's own). */
  asLogged: boolean;
}

/** Run the statements; the session is restored to `baseline` afterwards, also on failure. */
export async function runDdl(session: BinarySession, statements: ReplayStatement[], context: StatementContext,
  timestampSec: number, baseline: string): Promise<void> {
  const assignments = sessionAssignments(context, timestampSec).filter((a) => !a.startsWith('foreign_key_checks'));
  let current = 'baseline';
  try {
    for (const st of statements) {
      const wanted = st.asLogged ? 'logged' : 'baseline';
      if (wanted !== current) {
        const logged = `SET SESSION ${[...assignments, 'foreign_key_checks = 0'].join(', ')}`;
        await session.run(wanted === 'logged' ? logged : baseline);
        current = wanted;
      }
      await session.send(st.sql).catch((err: unknown) => { throw ddlFailed(st.sql, err); });
    }
  } finally {
    if (current !== 'baseline') await session.run(baseline);
  }
}

function ddlFailed(sql: Buffer, err: unknown): SyncError {
  const e = err as SyncError;
  const text = sql.toString('utf8');
  const shown = text.length > 500 ? `${text.slice(0, 500)}…` : text;
  const message = `a statement from the source's binlog failed on the target: ${e.message}\n  statement: ${shown}`;
  return new SyncError('DDL_REPLAY_FAILED', message, {
    hint: e.retryable
      ? 'A lock or connection problem on the target; db-sync retries.'
      : 'The target table no longer has the shape the source had before this statement (changed by hand?). '
        + 'Make it equal (`db-sync plan PAIR` shows the difference; `--recopy TABLE` copies it again), '
        + 'then restart the pair.',
    retryable: e.retryable, cause: err, details: { statement: text.slice(0, 2000) },
  });
}
