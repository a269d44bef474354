/**
 * The only import of the binlog library (@vlasky/zongji). Turns its events into plain
 * ChangeEvents and tracks the resume position itself:
 * - the current file comes from rotate events (zongji's header positions are per file);
 * - `commit` carries the position after the XID / COMMIT event, the next transaction's start,
 *   so a checkpoint never points inside a transaction (MariaDB writes end_log_pos=0 inside);
 * - events between transactions (format, GTID list, binlog checkpoint, heartbeat) surface
 *   as `position` so an idle or filtered stream can still advance its checkpoint.
 * It does not reconnect: the stream supervisor creates a new client from the last applied
 * checkpoint (zongji has no reconnect or stall detection).
 */
import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import type { ConnectionConfig } from '../config/schema.js';
import { driverOptions } from '../db/connection.js';
import { SyncError } from '../errors.js';
import type { BinlogPosition, ChangeEvent, RowImage } from './events.js';

export interface BinlogClientOptions {
  connection: ConnectionConfig;
  /** Unique per stream: the server drops an older dump thread with the same id. */
  serverId: number;
  start: BinlogPosition;
  /** Only this database's table maps (and so row events) are decoded. */
  schema: string;
  onEvent: (event: ChangeEvent) => void;
  onError: (err: SyncError) => void;
}

export interface BinlogClient {
  stop(): void;
  pause(): void;
  resume(): void;
}

const EVENTS = ['rotate', 'format', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query',
  'mariadbgtid', 'gtid', 'mariadbgtidlist', 'binlogcheckpoint', 'heartbeat', 'previousgtids'];

/**
 * db-sync needs the patched zongji (patches/@vlasky+zongji+0.9.0.patch, applied by the
 * postinstall and shipped pre-applied in the bundled copy). An install that ran no scripts
 * over an unbundled zongji (npm's allow-scripts policy, --ignore-scripts) would decode values
 * wrongly without a sound: refuse instead. The probe: the patched start() keeps the
 * `exactValues` option, the upstream one drops unknown options.
 */
export function assertPatchedZongji(): void {
  const probe: { options?: { exactValues?: unknown } } = {};
  (ZongJi.prototype as unknown as { _options(this: object, o: object): void })._options.call(probe, { exactValues: true });
  if (probe.options?.exactValues !== true) {
    throw new SyncError('ZONGJI_UNPATCHED', 'the installed @vlasky/zongji is not patched: binlog values would be decoded wrongly', {
      hint: 'Reinstall with install scripts allowed (`npm ci`, or `npx patch-package` in the db-sync folder); the patch is patches/@vlasky+zongji+0.9.0.patch.',
    });
  }
}

export function openBinlogClient(o: BinlogClientOptions): BinlogClient {
  assertPatchedZongji();
  const opts = driverOptions(o.connection, { database: null });
  const zj = new ZongJi({
    host: opts.host, port: opts.port, user: opts.user, password: opts.password, ssl: opts.ssl,
    charset: 'utf8mb4_general_ci', timezone: 'Z', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, jsonStrings: true,
    enableKeepAlive: true, connectTimeout: 10_000,
  });
  const translator = new EventTranslator(o.start.file);
  zj.on('binlog', (e: AnyBinlogEvent) => {
    const ev = translator.translate(e);
    if (ev) o.onEvent(ev);
  });
  zj.on('error', (err: Error & { code?: string; fatal?: boolean; errno?: number }) => o.onError(binlogError(err)));
  zj.start({
    serverId: o.serverId, filename: o.start.file, position: o.start.pos,
    includeEvents: EVENTS, includeSchema: { [o.schema]: true },
  });
  return {
    stop: () => { try { zj.stop(); } catch { /* already stopped */ } },
    pause: () => zj.connection?.pause(),
    resume: () => zj.connection?.resume(),
  };
}

/** zongji events -> ChangeEvents; keeps the current file and whether a transaction is open. */
class EventTranslator {
  private inTxn = false;

  constructor(private file: string) {}

  translate(e: AnyBinlogEvent): ChangeEvent | null {
    const ts = e.timestamp;
    const name = e.getEventName();
    const here = (): BinlogPosition => ({ file: this.file, pos: e.nextPosition });
    switch (name) {
      case 'rotate': {
        const r = e as Extract<AnyBinlogEvent, { binlogName: string; position: number }>;
        this.file = r.binlogName;
        return { type: 'position', position: { file: this.file, pos: Number(r.position) }, timestamp: ts };
      }
      case 'mariadbgtid': {
        const g = e as Extract<AnyBinlogEvent, { standalone: boolean }>;
        this.inTxn = !g.standalone;
        return g.standalone ? null : { type: 'begin', gtid: e.gtid, timestamp: ts };
      }
      case 'writerows':
      case 'deleterows':
      case 'updaterows':
        return rowsEvent(e, name);
      case 'xid':
        this.inTxn = false;
        return { type: 'commit', position: here(), gtid: e.gtid, timestamp: ts };
      case 'query':
        return this.query(e as Extract<AnyBinlogEvent, { query: string; schema: string }>, here());
      case 'tablemap':
        return null;
      default:
        if (this.inTxn || !(e.nextPosition > 0)) return null;
        return { type: 'position', position: here(), timestamp: ts };
    }
  }

  private query(q: Extract<AnyBinlogEvent, { query: string; schema: string }>, position: BinlogPosition): ChangeEvent {
    const text = q.query.trim();
    const ts = q.timestamp;
    if (/^BEGIN$/i.test(text)) { this.inTxn = true; return { type: 'begin', gtid: q.gtid, timestamp: ts }; }
    this.inTxn = false;
    // COMMIT ends a non-transactional (MyISAM/Aria) group; ROLLBACK only appears when
    // non-transactional changes were made and they persist, so it ends the group too.
    if (/^(COMMIT|ROLLBACK)$/i.test(text)) return { type: 'commit', position, gtid: q.gtid, timestamp: ts };
    return { type: 'statement', schema: q.schema, query: text, position, gtid: q.gtid, timestamp: ts };
  }
}

function rowsEvent(e: AnyBinlogEvent, name: 'writerows' | 'deleterows' | 'updaterows'): ChangeEvent | null {
  const r = e as Extract<AnyBinlogEvent, { rows: unknown[] }>;
  const entry = r.tableMap[(r as unknown as { tableId: number }).tableId];
  if (!entry) return null;
  const base = { schema: entry.parentSchema, table: entry.tableName, timestamp: e.timestamp };
  if (name === 'updaterows') return { type: 'update', ...base, rows: r.rows as Array<{ before: RowImage; after: RowImage }> };
  return { type: name === 'writerows' ? 'insert' : 'delete', ...base, rows: r.rows as RowImage[] };
}

/** ER_MASTER_FATAL_ERROR_READING_BINLOG (1236): the position is gone or invalid. */
function binlogError(err: Error & { code?: string; errno?: number }): SyncError {
  if (err.errno === 1236) {
    return new SyncError('BINLOG_PURGED', `the source cannot stream from the saved binlog position: ${err.message}`, {
      hint: 'The binlog the pair needs was purged (or the source changed). Re-copy the data: `db-sync sync run PAIR --resnapshot`; keep binlogs longer (binlog_expire_logs_seconds) to avoid this.',
      cause: err,
    });
  }
  return new SyncError('BINLOG_STREAM_LOST', `binlog stream failed: ${err.message}`, {
    hint: 'Check that the source is reachable; db-sync reconnects and resumes from the last applied checkpoint.',
    retryable: true, cause: err,
  });
}
