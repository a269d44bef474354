/**
 * The statements of one open target transaction, sent in as few round trips as the target's
 * max_allowed_packet allows. Statements are bytes (row-bytes.ts) joined into multi-statement
 * packets; a packet never exceeds the budget, and a single statement that would is refused
 * with its size and the setting to raise.
 *
 * Each row statement is followed by a marker `SET @db_sync_at = k` (k counts the row
 * statements of the transaction), so when the server stops a packet at a failing statement,
 * @db_sync_at names the last one that ran and the error can name the table and key. After
 * an exact UPDATE/DELETE the marker doubles as a check:
 * `SET @db_sync_at = IF(ROW_COUNT() > 0, k, ~0 + ROW_COUNT() + 1)` fails (error 1690, BIGINT
 * UNSIGNED out of range, in MySQL and MariaDB whatever the sql_mode) when no row matched, so
 * nothing after it runs, COMMIT included. IF() evaluates only the branch it takes, so the
 * check costs the target a function call: the former guard, a `(SELECT 1 UNION ALL SELECT 1)`
 * subquery, was prepared with every statement and cost about as much as the UPDATE itself
 * (docs/data.md, "Where lag comes from").
 */
import type { BinarySession } from '../db/connection.js';
import { dbErrno, isDuplicateKey } from '../db/db-errors.js';
import { SyncError } from '../errors.js';

export interface RowStatement {
  table: string;
  /** Set for an exact UPDATE/DELETE: it must find its row. */
  check?: 'UPDATE' | 'DELETE';
  /** Table and key(s) for messages. */
  describe: () => string;
}

const SEP = Buffer.from(';\n', 'latin1');
const GUARD_ERRNO = 1690;
/** The guard's own overflow names its expression; a row statement's 1690 would name its own. */
const GUARD_TEXT = /row_count\(\)/i;
/** Out of range, data too long, incorrect value, FK violation, NULL into NOT NULL ... */
const ROW_ERRNOS = new Set([1048, 1263, 1264, 1265, 1292, 1366, 1367, 1406, 1451, 1452, 1690, 3819, 4025]);

export class TxnPipe {
  private parts: Buffer[] = [];
  private bytes = 0;
  private rows: RowStatement[] = [];

  constructor(private readonly session: BinarySession, private readonly budget: number) {}

  /** Bytes a statement may have at most (the packet budget less its marker). */
  get maxStatement(): number {
    return this.budget - 128;
  }

  /**
   * Queue a statement; sends what is queued first when the packet would exceed the budget
   * (only then is there a promise: this runs for every statement of the stream).
   */
  add(stmt: Buffer, row?: RowStatement): Promise<void> | undefined {
    if (stmt.length > this.maxStatement) {
      const which = row ? ` (${row.describe()})` : '';
      const limit = `${this.budget + PACKET_SLACK} bytes`;
      throw new SyncError('ROW_TOO_LARGE', `a statement of ${stmt.length} bytes${which} exceeds the target's `
        + `max_allowed_packet (${limit})`, {
        hint: `Raise max_allowed_packet on the target to at least ${stmt.length + 128 + PACKET_SLACK} `
          + '(SET GLOBAL max_allowed_packet = ...; and in its config), then restart the pair.',
      });
    }
    if (this.bytes + stmt.length + 128 > this.budget) return this.send().then(() => this.queue(stmt, row));
    this.queue(stmt, row);
    return undefined;
  }

  private queue(stmt: Buffer, row: RowStatement | undefined): void {
    this.push(stmt);
    if (!row) return;
    this.rows.push(row);
    const k = this.rows.length;
    const marker = row.check ? `SET @db_sync_at = IF(ROW_COUNT() > 0, ${k}, ~0 + ROW_COUNT() + 1)`
      : `SET @db_sync_at = ${k}`;
    this.push(Buffer.from(marker, 'latin1'));
  }

  private push(b: Buffer): void {
    if (this.parts.length) { this.parts.push(SEP); this.bytes += SEP.length; }
    this.parts.push(b);
    this.bytes += b.length;
  }

  /** Send what is queued (the transaction stays open). */
  async send(): Promise<void> {
    if (!this.parts.length) return;
    const packet = Buffer.concat(this.parts);
    this.parts = [];
    this.bytes = 0;
    try {
      await this.session.send(packet);
    } catch (err) {
      throw await this.explain(err);
    }
  }

  /** Forget queued statements (after COMMIT or ROLLBACK). */
  reset(): void {
    this.parts = [];
    this.bytes = 0;
    this.rows = [];
  }

  /**
   * The row statement that failed, from @db_sync_at: a failed check becomes
   * TARGET_ROW_MISSING, a duplicate key TARGET_UNIQUE_CONFLICT, a value the target cannot
   * hold ROW_REJECTED; anything else (connection lost, ...) passes through.
   */
  private async explain(err: unknown): Promise<unknown> {
    const e = err as SyncError;
    if (!(e instanceof SyncError) || e.retryable) return err;
    const errno = dbErrno(e);
    if (errno !== GUARD_ERRNO && !isDuplicateKey(e) && !(errno !== undefined && ROW_ERRNOS.has(errno))) return err;
    // the session may be gone: the error is then reported without the failing row
    const [at] = await this.session.rows<{ at: number | string | null }>('SELECT @db_sync_at AS at').catch(() => []);
    // markers number row statements from 1 and @db_sync_at starts at 0 with each transaction
    const failed = this.rows[Number(at?.at ?? 0)];
    const where = failed ? failed.describe() : 'a row';
    const details = { table: failed?.table };
    if (errno === GUARD_ERRNO && GUARD_TEXT.test(e.message) && failed?.check) {
      return new SyncError('TARGET_ROW_MISSING', `${failed.check} on ${where} found no such row on the target`, {
        hint: 'The target was changed outside db-sync. Run `db-sync verify PAIR --repair` '
          + 'or re-copy with `db-sync sync run PAIR --resnapshot`.',
        details,
      });
    }
    if (isDuplicateKey(e)) {
      return new SyncError('TARGET_UNIQUE_CONFLICT', `target rejected ${where}: ${e.message}`, {
        hint: 'Another target row holds the same unique value: the target diverged from the source. '
          + 'Run `db-sync verify PAIR --repair`, then restart the pair.',
        cause: err, details,
      });
    }
    return new SyncError('ROW_REJECTED', `target rejected ${where}: ${e.message}`, {
      hint: "The target table no longer accepts the source's values (changed by hand?). "
        + "Make its definition equal to the source's (schema sync), then restart the pair.",
      cause: err, details,
    });
  }
}

/** Room left in a packet for the command byte and framing. */
export const PACKET_SLACK = 1024;
