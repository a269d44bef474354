/**
 * `db-sync verify PAIR`: every synced table (or the ones asked for) compared by chunked
 * checksums, optionally repaired. Opens its own connections: reads on source and target,
 * and for --repair one target connection prepared with prepareApplySession.
 */
import type { ConnectionConfig, SyncPairConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { HashAlgo } from '../checksum/canonical.js';
import { closeVerifyConnections, openVerifyConnections, selectTables } from '../checksum/connections.js';
import { SourceGuard, type GuardSettings } from '../guard/source-guard.js';
import {
  verifyTable, type TableReport, type TableVerifyOptions, type VerifyConnections,
} from '../checksum/verify-table.js';

export interface VerifyPairInput {
  pair: SyncPairConfig;
  source: ConnectionConfig;
  target: ConnectionConfig;
}

export interface VerifyOptions extends Omit<TableVerifyOptions, 'logger'> {
  /** Only these tables (must be synced tables of the pair). */
  tables?: string[];
  logger: Logger;
  /** Chunk row hash: auto = crc where both servers have CRC32C, else md5. */
  hash?: HashAlgo | 'auto';
  onTable?: (report: TableReport) => void;
  /** Source reads wait while the source is loaded. */
  guard?: GuardSettings;
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
  let guard: SourceGuard | undefined;
  try {
    conns = await openVerifyConnections(input, opts.repair, opts.hash ?? 'auto');
    guard = opts.guard && new SourceGuard(conns.source, opts.guard, opts.logger, opts.signal);
    if (guard) conns.sourceGate = () => guard!.gate();
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
    const elapsedMs = Date.now() - started;
    return { pair: input.pair.name, equal, tables, onlyOnTarget: selected.onlyOnTarget, elapsedMs };
  } finally {
    await guard?.close();
    await closeVerifyConnections(conns);
  }
}

