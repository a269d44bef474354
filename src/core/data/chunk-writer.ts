/**
 * Writes snapshot chunks to the target: each chunk is one transaction that replaces exactly
 * its key range (DELETE range, then the rows) and records the snapshot's progress with it.
 *
 * Rows are loaded with LOAD DATA LOCAL INFILE (lines the source rendered) or, when the
 * target refuses local files, with multi-row INSERTs (tuples the source rendered). LOAD DATA
 * LOCAL implies IGNORE: a duplicate key or a value the column cannot hold becomes a warning
 * and the row is skipped or converted. So every chunk must load exactly its row count with
 * exactly the warnings the source predicted (one per ENUM '' error value, which can only be
 * written with a warning); anything else rolls the chunk back and stops the pair.
 */
import type { BinarySession, ExecResult } from '../db/connection.js';
import { APPLY_SQL_MODE } from '../db/session.js';
import { dbErrno } from '../db/db-errors.js';
import { SyncError } from '../errors.js';
import { crashPoint } from '../crash-point.js';
import { checkpointBytes, type WriteFence } from './checkpoint.js';
import { pairLockLostError } from './runner-lock.js';
import { PACKET_SLACK } from './txn-pipe.js';

export interface ChunkRows {
  table: string;
  /** DELETE of the chunk's key range (complete statement bytes). */
  del: Buffer;
  rows: number;
  /** ENUM error values in the chunk: the warnings its load must produce. */
  enumZeros: number;
  checkpoints: Array<[stream: string, state: unknown]>;
}

const LENIENT_MODE = APPLY_SQL_MODE.split(',').filter((m) => !m.startsWith('STRICT')).join(',');

export class ChunkWriter {
  private readonly budget: number;

  /**
   * `fence`: the chunk commits only while this runner holds the pair (checkpointBytes). A
   * loader is a session of its own, not the lock's: a runner frozen past the lock's timeout,
   * whose pair another runner took over, must not commit a chunk of its older read over the
   * new runner's rows when it wakes up.
   */
  constructor(private readonly session: BinarySession, private readonly pair: string, maxPacket: number,
    private readonly fence?: WriteFence) {
    this.budget = maxPacket - PACKET_SLACK;
  }

  private head(c: ChunkRows, lenient = false): Buffer {
    const mode = lenient ? `;\nSET SESSION sql_mode = '${LENIENT_MODE}'` : '';
    const open = `START TRANSACTION;\nSET SESSION foreign_key_checks = 0${mode};\n`;
    return Buffer.concat([Buffer.from(open, 'latin1'), c.del]);
  }

  private async tail(c: ChunkRows): Promise<void> {
    const detail = (): string => `${c.table}: ${c.rows} rows`;
    crashPoint('snapshot.before-chunk-commit', detail);
    const parts = c.checkpoints.map(([stream, state]) => checkpointBytes(this.pair, stream, state, this.fence));
    try {
      await this.session.send(Buffer.concat([...parts.flatMap((p) => [p, SEP]), Buffer.from('COMMIT', 'latin1')]));
    } catch (err) {
      if (this.fence && dbErrno(err) === ER_BAD_NULL_ERROR) {
        throw pairLockLostError(this.pair, `a chunk of ${c.table} was rolled back at its commit (the lock is free `
          + 'or taken: the target ended the apply session, or another runner took the pair over)');
      }
      throw err;
    }
    crashPoint('snapshot.after-chunk-commit', detail);
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      // a failed chunk may have left the lenient sql_mode of an ENUM '' load behind; the
      // chunk's own error is the one to report (on a lost session the server rolls back)
      await this.session.send(Buffer.from(`ROLLBACK;\nSET SESSION sql_mode = '${APPLY_SQL_MODE}'`, 'latin1'))
        .catch(() => undefined);
      throw err;
    }
  }

  /**
   * A chunk is a whole transaction with its rows at hand: after a deadlock or lock wait
   * timeout (parallel loaders' range DELETEs where gap locks remain) it is sent again.
   */
  private async retried<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.guard(fn);
      } catch (err) {
        const code = (err as { details?: { dbCode?: string } }).details?.dbCode;
        if (attempt >= LOCK_RETRIES || (code !== 'ER_LOCK_DEADLOCK' && code !== 'ER_LOCK_WAIT_TIMEOUT')) throw err;
      }
    }
  }

  /** LOAD DATA travels alone: inside a multi-statement packet the driver loses the packet sequence. */
  async load(c: ChunkRows, loadSql: string, data: Buffer): Promise<void> {
    await this.retried(async () => {
      await this.session.send(this.head(c));
      const res = await this.session.infile(loadSql, data);
      this.expect(c, res.affectedRows, warningsOf(res), res.info);
      await this.tail(c);
    });
  }

  /** Multi-row INSERT texts (source-rendered, ASCII) in packets of at most max_allowed_packet. */
  async inserts(c: ChunkRows, inserts: string[]): Promise<void> {
    await this.retried(async () => {
      const lenient = c.enumZeros > 0;
      await this.session.send(this.head(c, lenient));
      let affected = 0;
      let warnings = 0;
      for (const packet of packets(inserts, this.budget, c.table)) {
        for (const r of await this.session.exec(Buffer.from(packet, 'utf8'))) {
          affected += r.affectedRows;
          warnings += r.warningStatus;
        }
      }
      if (lenient) await this.session.run(`SET SESSION sql_mode = '${APPLY_SQL_MODE}'`);
      this.expect(c, affected, warnings, '');
      await this.tail(c);
    });
  }

  /**
   * A table without a key, replaced whole in one transaction from streamed INSERT batches;
   * `checkpoints` is asked for at the end (the progress then says done).
   */
  async keyless(c: ChunkRows, batches: AsyncIterable<{ inserts: string[]; rows: number; enumZeros: number }>,
    checkpoints: () => Array<[string, unknown]>): Promise<void> {
    await this.guard(async () => {
      await this.session.send(this.head(c, true));
      const want = { rows: 0, warnings: 0 };
      const got = { rows: 0, warnings: 0 };
      for await (const b of batches) {
        want.rows += b.rows;
        want.warnings += b.enumZeros;
        for (const packet of packets(b.inserts, this.budget, c.table)) {
          for (const r of await this.session.exec(Buffer.from(packet, 'utf8'))) {
            got.rows += r.affectedRows;
            got.warnings += r.warningStatus;
          }
        }
      }
      await this.session.run(`SET SESSION sql_mode = '${APPLY_SQL_MODE}'`);
      this.expect({ ...c, rows: want.rows, enumZeros: want.warnings }, got.rows, got.warnings, '');
      await this.tail({ ...c, checkpoints: checkpoints() });
    });
  }

  private expect(c: ChunkRows, affected: number, warnings: number, info: string): void {
    if (affected === c.rows && warnings === c.enumZeros) return;
    const counts = `${affected} of ${c.rows} rows written, ${warnings} warnings where ${c.enumZeros} were expected`;
    throw new SyncError('SNAPSHOT_LOAD_REJECTED',
      `the target did not take a chunk of ${c.table} as it is: ${counts}${info ? ` (${info})` : ''}`, {
        hint: 'A row was skipped or a value converted on the target (duplicate key, a column narrower than the '
          + "source's, a different character set). Make the target table equal to the source's "
          + '(`db-sync plan PAIR`), then run the pair again; the chunk was rolled back.',
        details: { table: c.table },
      });
  }
}

const SEP = Buffer.from(';\n', 'latin1');
/** A NOT NULL column given NULL: a fenced checkpoint whose fence no longer holds (checkpointBytes). */
const ER_BAD_NULL_ERROR = 1048;
const LOCK_RETRIES = 5;

function warningsOf(r: ExecResult): number {
  const m = /Warnings:\s*(\d+)/.exec(r.info);
  return m ? Number(m[1]) : r.warningStatus;
}

/** Join statements with ';' into packets of at most `limit` bytes; one statement over it is refused. */
export function packets(statements: string[], limit: number, table = '?'): string[] {
  const out: string[] = [];
  let cur = '';
  for (const st of statements) {
    if (st.length > limit) {
      throw new SyncError('ROW_TOO_LARGE', `a row of ${table} needs a ${st.length}-byte statement, `
        + "more than the target's max_allowed_packet allows", {
        hint: `Raise max_allowed_packet on the target to at least ${st.length + PACKET_SLACK}, `
          + 'then run the pair again.',
      });
    }
    if (cur && cur.length + st.length + 2 > limit) { out.push(cur); cur = ''; }
    cur = cur ? `${cur};\n${st}` : st;
  }
  if (cur) out.push(cur);
  return out;
}
