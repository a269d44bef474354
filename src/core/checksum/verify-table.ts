/**
 * Verify (and optionally repair) one table: introspect both sides, refuse to compare when
 * the column sets differ (every row would differ), compare by chunked checksums, repair.
 */
import type { Db } from '../db/connection.js';
import type { HashAlgo } from './canonical.js';
import { toSyncError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { diffCounts, type TableDiff } from './classify.js';
import { compareTable, DEFAULT_COMPARE, type CompareOptions } from './compare-table.js';
import { renderKey, type KeyTuple } from './key-range.js';
import { repairTable, type RepairResult } from './repair.js';
import { checksumRange, createSide, leafRows, type Side } from './side.js';
import { describeTable } from '../db/table-info.js';
import { columnDrift } from './column-drift.js';

export type TableStatus = 'ok' | 'differs' | 'missing-on-target' | 'schema-differs' | 'error';

export interface TableReport {
  table: string;
  status: TableStatus;
  sourceRows: number;
  chunks: number;
  /** Chunks that differed at first and were checked again (re-checks on; a change in flight). */
  rechecked: number;
  missing: number;
  extra: number;
  different: number;
  examples: { missing: string[]; extra: string[]; different: string[] };
  /** Rows (hash rows and full rows) read from both servers beyond per-chunk checksums. */
  rowsTransferred: number;
  drift: string[];
  /**
   * Set when the table has neither a primary key nor a NOT NULL unique key: compared as a
   * whole, rows not located (the name predates unique-key support; kept for --json users).
   */
  noPrimaryKey?: boolean;
  repaired?: RepairResult;
  error?: { code: ErrorCode; message: string; hint?: string; retryable: boolean };
  elapsedMs: number;
}

export interface TableVerifyOptions extends Partial<Omit<CompareOptions, 'logger' | 'signal'>> {
  repair: boolean;
  sleepRatio: number;
  maxExamples: number;
  logger: Logger;
  signal?: AbortSignal;
}

export interface VerifyConnections {
  source: Db;
  target: Db;
  sourceSchema: string;
  targetSchema: string;
  /** A target connection prepared with prepareApplySession; required for repair. */
  targetWrite?: Db;
  /** Row hash both servers support for chunk checksums (default md5). */
  hash?: HashAlgo;
  /** Awaited before each source query: waits while the source is loaded (guard/source-guard.ts). */
  sourceGate?: () => Promise<void>;
}

export function emptyReport(table: string): TableReport {
  return { table, status: 'ok', sourceRows: 0, chunks: 0, rechecked: 0, missing: 0, extra: 0, different: 0,
    examples: { missing: [], extra: [], different: [] }, rowsTransferred: 0, drift: [], elapsedMs: 0 };
}

export async function verifyTable(conns: VerifyConnections, table: string,
  opts: TableVerifyOptions): Promise<TableReport> {
  const started = Date.now();
  const report = emptyReport(table);
  try {
    await runTable(conns, report, opts);
  } catch (err) {
    const e = toSyncError(err);
    report.status = 'error';
    report.error = { code: e.code, message: e.message, retryable: e.retryable, ...(e.hint ? { hint: e.hint } : {}) };
  }
  report.elapsedMs = Date.now() - started;
  return report;
}

async function runTable(conns: VerifyConnections, report: TableReport, opts: TableVerifyOptions): Promise<void> {
  const [si, ti] = await Promise.all([describeTable(conns.source, conns.sourceSchema, report.table),
    describeTable(conns.target, conns.targetSchema, report.table)]);
  if (!si) throw new Error(`table ${report.table} does not exist on the source`);
  if (!ti) {
    report.status = 'missing-on-target';
    return;
  }
  report.drift = columnDrift(si, ti);
  if (report.drift.length > 0) {
    report.status = 'schema-differs';
    return;
  }
  const hash = conns.hash ?? 'md5';
  const source = createSide(conns.source, si,
    { sleepRatio: opts.sleepRatio, hash, signal: opts.signal, gate: conns.sourceGate });
  // Both servers hash the source's column list (order, NULL flags): equal rows hash equally
  // even when the target's columns are in another order or differ in nullability.
  const target = createSide(conns.target, { ...ti, columns: si.columns, writable: si.writable },
    { hash, signal: opts.signal });
  // Rows are located by the primary key, else by the NOT NULL unique key the data engine uses.
  if (si.keyKind === 'none') return wholeTable(source, target, report);
  const compareOpts: CompareOptions = {
    ...DEFAULT_COMPARE, ...stripUndefined(opts), logger: opts.logger, signal: opts.signal,
  };
  const result = await compareTable(source, target, compareOpts);
  report.sourceRows = result.sourceRows;
  report.chunks = result.chunks;
  report.rechecked = result.rechecked;
  await describeDiff(report, result.diff, source, target, opts.maxExamples);
  if (opts.repair && report.status === 'differs') {
    if (!conns.targetWrite) throw new Error('repair needs a prepared target write connection');
    report.repaired = await repairTable(source, conns.targetWrite, result.diff);
  }
  report.rowsTransferred = source.rowsRead + target.rowsRead;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function describeDiff(report: TableReport, diff: TableDiff, source: Side, target: Side,
  max: number): Promise<void> {
  const c = diffCounts(diff);
  Object.assign(report, c);
  if (c.missing + c.extra + c.different === 0) return;
  report.status = 'differs';
  const pick = async (keys: KeyTuple[], ranges: TableDiff['missingRanges'], side: Side) => {
    const out = keys.slice(0, max).map(renderKey);
    for (const r of ranges) {
      if (out.length >= max) break;
      out.push(...(await leafRows(side, r.range, max - out.length)).map((l) => renderKey(l.key)));
    }
    return out;
  };
  report.examples = {
    missing: await pick(diff.missing, diff.missingRanges, source),
    extra: await pick(diff.extra, diff.extraRanges, target),
    different: diff.different.slice(0, max).map(renderKey),
  };
}

/** No usable key: one checksum of the whole table per side; differences cannot be located. */
async function wholeTable(source: Side, target: Side, report: TableReport): Promise<void> {
  report.noPrimaryKey = true;
  const full = { lower: null, upper: null };
  const [s, t] = await Promise.all([checksumRange(source, full), checksumRange(target, full)]);
  report.sourceRows = s.count;
  report.chunks = 1;
  if (s.count !== t.count || s.xor !== t.xor) {
    report.status = 'differs';
    report.missing = Math.max(0, s.count - t.count);
    report.extra = Math.max(0, t.count - s.count);
  }
}
