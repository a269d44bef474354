/**
 * Before a table is copied from scratch, its target definition must be the source's at the
 * snapshot's read (the copy replaces every row; DDL seen before the read point may not have
 * reached a table that was not synced yet). Same definition: kept. Otherwise dropped and
 * created from the SHOW CREATE TABLE taken at the read (snapshot-read.ts), never from a later
 * one: a table given a definition from after the read, then copied, and the process killed
 * before the copy deferred it, would meet that DDL again in the catch-up (ER_DUP_FIELDNAME,
 * found by the fuzzer). Only for pairs that sync schema.
 */
import { isMissingTable } from '../db/db-errors.js';
import { quoteId } from '../db/quote.js';
import type { Logger } from '../log.js';
import type { Applier } from './applier.js';

function normalize(sql: string): string {
  return sql.replace(/ AUTO_INCREMENT=\d+/, '');
}

async function showCreate(run: () => Promise<Array<Record<string, string>>>): Promise<string | null> {
  try {
    const [row] = await run();
    return row?.['Create Table'] ?? null;
  } catch (err) {
    if (isMissingTable(err)) return null;
    throw err;
  }
}

/** `atRead`: the table's SHOW CREATE TABLE at the snapshot's read (null: it had none there). */
export async function recreateIfDifferent(atRead: string | null, applier: Applier, table: string, targetDb: string,
  logger: Logger): Promise<void> {
  if (atRead === null) return; // not on the source at the read; the copy skips it
  const session = applier.session;
  const qualified = `${quoteId(targetDb)}.${quoteId(table)}`;
  const tgt = await showCreate(() => session.rows(`SHOW CREATE TABLE ${qualified}`));
  if (tgt !== null && normalize(tgt) === normalize(atRead)) return;
  logger.info({ table, existed: tgt !== null },
    "snapshot: giving the target table the source's definition before copying it");
  // SHOW CREATE TABLE text is UTF-8: read it as such (the session otherwise sends bytes)
  // (separate round trips: a multi-statement packet is not re-read after a charset change)
  await session.run('SET SESSION foreign_key_checks = 0, character_set_client = utf8mb4, '
    + 'collation_connection = utf8mb4_general_ci');
  try {
    await session.run(`DROP TABLE IF EXISTS ${qualified}`);
    await session.run(atRead);
  } finally {
    await session.run('SET SESSION character_set_client = binary, collation_connection = binary');
  }
  applier.invalidate();
  applier.forgetFkChecks();
}
