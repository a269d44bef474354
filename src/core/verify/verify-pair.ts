/**
 * `db-sync verify PAIR`: every synced table (or the ones asked for) compared by chunked
 * checksums, optionally repaired. Opens its own connections: reads on source and target,
 * and for --repair one target connection prepared with prepareApplySession.
 */
import type { ConnectionConfig, SyncPairConfig } from '../config/schema.js';
import { closeQuietly, openConnection, type Db } from '../db/connection.js';
import { prepareApplySession } from '../db/session.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { listBaseTables } from './table-info.js';
import { tableFilter } from './table-filter.js';
import { verifyTable, type TableReport, type TableVerifyOptions, type VerifyConnections } from './verify-table.js';

export interface VerifyPairInput {
  pair: SyncPairConfig;
  source: ConnectionConfig;
  target: ConnectionConfig;
}

export interface VerifyOptions extends Omit<TableVerifyOptions, 'logger'> {
  /** Only these tables (must be synced tables of the pair). */
  tables?: string[];
  logger: Logger;
  onTable?: (report: TableReport) => void;
}

export interface VerifyReport {
  pair: string;
  equal: boolean;
  tables: TableReport[];
  /** Tables on the target that the source does not have (among the pair's filtered names). */
  onlyOnTarget: string[];
  elapsedMs: number;
}

export async function verifyPair(input: VerifyPairInput, opts: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  let conns: VerifyConnections | undefined;
  try {
    conns = await openVerifyConnections(input, opts.repair);
    const selected = await selectTables(conns, input.pair, opts.tables);
    const tables: TableReport[] = [];
    for (const t of selected.tables) {
      if (opts.signal?.aborted) break;
      opts.logger.info({ table: t }, 'verifying table');
      const report = await verifyTable(conns, t, opts);
      opts.onTable?.(report);
      tables.push(report);
    }
    const equal = tables.every((t) => t.status === 'ok') && selected.onlyOnTarget.length === 0;
    return { pair: input.pair.name, equal, tables, onlyOnTarget: selected.onlyOnTarget, elapsedMs: Date.now() - started };
  } finally {
    await closeVerifyConnections(conns);
  }
}

export async function openVerifyConnections(input: Pick<VerifyPairInput, 'source' | 'target'>, write: boolean): Promise<VerifyConnections> {
  const opened: Db[] = [];
  try {
    const source = await openConnection(input.source);
    opened.push(source);
    const target = await openConnection(input.target);
    opened.push(target);
    let targetWrite: Db | undefined;
    if (write) {
      targetWrite = await openConnection(input.target);
      opened.push(targetWrite);
      await prepareApplySession(targetWrite);
    }
    return { source, target, targetWrite, sourceSchema: input.source.database, targetSchema: input.target.database };
  } catch (err) {
    await Promise.all(opened.map(closeQuietly));
    throw err;
  }
}

export async function closeVerifyConnections(conns: VerifyConnections | undefined): Promise<void> {
  if (!conns) return;
  await Promise.all([closeQuietly(conns.source), closeQuietly(conns.target), closeQuietly(conns.targetWrite)]);
}

export async function selectTables(conns: VerifyConnections, pair: SyncPairConfig, only?: string[]): Promise<{ tables: string[]; onlyOnTarget: string[] }> {
  const keep = tableFilter(pair);
  const src = (await listBaseTables(conns.source, conns.sourceSchema)).filter(keep);
  const dst = (await listBaseTables(conns.target, conns.targetSchema)).filter(keep);
  if (only && only.length > 0) {
    const unknown = only.filter((t) => !src.includes(t));
    if (unknown.length > 0) {
      throw new SyncError('VERIFY_UNKNOWN_TABLE', `not a synced table of pair "${pair.name}": ${unknown.join(', ')}`, {
        hint: `Synced tables: ${src.slice(0, 20).join(', ') || '(none)'}. Check the name and the pair's include/exclude patterns.`,
      });
    }
    return { tables: only, onlyOnTarget: [] };
  }
  return { tables: src, onlyOnTarget: dst.filter((t) => !src.includes(t)) };
}
