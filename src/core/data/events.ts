/**
 * The plain tagged data the binlog reader hands to the apply loop. Row images are keyed by
 * column name (binlog_row_metadata=FULL) and hold exact values: text as the stored bytes
 * (Buffer), ENUM/SET as index/bitmask, exact strings for BIGINT/DECIMAL/temporal types,
 * Buffers for binary, BIT and geometry. A column absent from a partial image (MINIMAL,
 * NOBLOB) is absent from the object. Every event carries its size in the binlog, so the
 * backlog is bounded in bytes.
 */
import type { RowImage } from '../db/row-bytes.js';
import type { StatementContext } from './status-vars.js';
export type { RowImage };

export interface BinlogPosition {
  file: string;
  pos: number;
}

interface Base {
  /** Source time of the event (ms; whole seconds, from the binlog header). */
  timestamp: number;
  /** Local time the reader received it (ms, lag.ts's clock). */
  receivedAt: number;
  /** Bytes the event took in the binlog. */
  size: number;
}

export type RowsEvent = Base & { type: 'rows'; schema: string; table: string;
  /** FOREIGN_KEY_CHECKS of the source session (the row event's flag). */
  fkChecks: boolean } & (
  | { op: 'insert' | 'delete'; rows: RowImage[] }
  | { op: 'update'; rows: Array<{ before: RowImage; after: RowImage }> });

export type ChangeEvent =
  /** Start of a source transaction (MariaDB GTID event or BEGIN). */
  | (Base & { type: 'begin'; gtid?: string })
  | RowsEvent
  /** End of a source transaction (XID or COMMIT); `position` is where the next one starts. */
  | (Base & { type: 'commit'; position: BinlogPosition; gtid?: string })
  /**
   * Any other statement (DDL, ROLLBACK, SAVEPOINT, XA, statement-based DML ...), exactly as
   * logged: `sql` holds its bytes in the session's character_set_client.
   */
  | (Base & { type: 'query'; schema: string; sql: Buffer; context: StatementContext; inTxn: boolean;
      position: BinlogPosition; gtid?: string })
  /** End of an XA PREPARE group. */
  | (Base & { type: 'xa-prepare'; position: BinlogPosition; gtid?: string })
  /** A position between transactions (rotate, format, GTID list ...): a resume point. */
  | (Base & { type: 'position'; position: BinlogPosition });

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
