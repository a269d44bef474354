/**
 * The plain tagged data the binlog adapter hands to the applier. Row images are keyed by
 * column name (binlog_row_metadata=FULL) and hold driver-ready values: exact strings for
 * BIGINT/DECIMAL/temporal types, Buffers for binary, BIT and geometry.
 */
export interface BinlogPosition {
  file: string;
  pos: number;
}

import type { RowImage } from '../db/row-sql.js';
export type { RowImage };

export type ChangeEvent =
  /** Start of a source transaction (MariaDB GTID event or BEGIN). */
  | { type: 'begin'; gtid?: string; timestamp: number }
  | { type: 'insert' | 'delete'; schema: string; table: string; rows: RowImage[]; timestamp: number }
  | { type: 'update'; schema: string; table: string; rows: Array<{ before: RowImage; after: RowImage }>; timestamp: number }
  /** End of a source transaction; `position` is where the next transaction starts. */
  | { type: 'commit'; position: BinlogPosition; gtid?: string; timestamp: number }
  /** A statement outside row events (DDL, TRUNCATE, ...), standalone group. */
  | { type: 'statement'; schema: string; query: string; position: BinlogPosition; gtid?: string; timestamp: number }
  /** A position between transactions (rotate, format, GTID list ...): a resume point. */
  | { type: 'position'; position: BinlogPosition; timestamp: number };

/** Binlog files sort by their numeric suffix; names within one server share the base name. */
export function comparePositions(a: BinlogPosition, b: BinlogPosition): number {
  if (a.file !== b.file) {
    const na = fileNumber(a.file);
    const nb = fileNumber(b.file);
    if (na !== null && nb !== null && na !== nb) return na < nb ? -1 : 1;
    return a.file < b.file ? -1 : 1;
  }
  return a.pos === b.pos ? 0 : a.pos < b.pos ? -1 : 1;
}

function fileNumber(file: string): number | null {
  const m = /\.(\d+)$/.exec(file);
  return m ? Number(m[1]) : null;
}

export function formatPosition(p: BinlogPosition | null | undefined): string {
  return p ? `${p.file}:${p.pos}` : '(none)';
}
