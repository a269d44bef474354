/**
 * The binlog reader: the only import of the binlog library (@vlasky/zongji, patched at
 * install by patch-package, see patches/ and docs/upstream/zongji-patch.md). Turns its
 * events into plain ChangeEvents and tracks the resume position itself:
 * - the current file comes from rotate events (zongji's header positions are per file);
 * - `commit` carries the position after the XID / COMMIT event, the next transaction's start,
 *   so a checkpoint never points inside a transaction;
 * - events between transactions (format, GTID list, binlog checkpoint, heartbeat) surface
 *   as `position` so an idle or filtered stream can still advance its checkpoint;
 * - every byte received counts as progress for the stall watchdog (onBytes), also the bytes
 *   of other databases' transactions that are filtered out here.
 * Values are exact (`exactValues`): text as its stored bytes, ENUM/SET as numbers.
 * It does not reconnect: the stream supervisor creates a new reader from the last applied
 * checkpoint (zongji has no reconnect or stall detection).
 */
import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import type { ConnectionConfig } from '../config/schema.js';
import { driverOptions } from '../db/connection.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BinlogPosition, ChangeEvent, RowImage } from './events.js';
import { nowMs } from './lag.js';
import { parseStatusVars } from './status-vars.js';
import { lagTrace } from './lag-trace.js';

export interface BinlogClientOptions {
  connection: ConnectionConfig;
  /** Unique per stream: the server drops an older dump thread with the same id. */
  serverId: number;
  start: BinlogPosition;
  /**
   * Start from this GTID state instead (the checkpoint's `gtids`): the server finds the place
   * itself, as for a replica (MariaDB: @slave_connect_state with @slave_gtid_strict_mode=1;
   * MySQL: COM_BINLOG_DUMP_GTID). `start` then only names the file the stream begins in.
   */
  gtids?: string;
  /** Only this database's table maps (and so row events) are decoded. */
  schema: string;
  /** Decode these databases' row events instead (a shared reader, binlog-hub.ts). */
  schemas?: string[];
  /** Switches between a reader of its own and the shared one (binlog-hub.ts). */
  logger?: Logger;
  onEvent: (event: ChangeEvent) => void;
  onError: (err: SyncError) => void;
  /** Bytes arrived on the binlog connection (any event, any database). */
  onBytes?: (n: number) => void;
}

export interface BinlogClient {
  /** The position after the last event received (any database), null before the first. */
  received(): BinlogPosition | null;
  stop(): void;
  pause(): void;
  resume(): void;
  /** Decode this database's row events too, from its next table map on. */
  include?(schema: string): void;
  /** On the reader shared with the other pairs of the source (binlog-hub.ts). */
  shared?(): boolean;
}

const EVENTS = ['rotate', 'format', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query', 'xaprepare',
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
  const prototype = ZongJi.prototype as unknown as { _options(this: object, o: object): void };
  prototype._options.call(probe, { exactValues: true });
  if (probe.options?.exactValues !== true) {
    const message = 'the installed @vlasky/zongji is not patched: binlog values would be decoded wrongly';
    throw new SyncError('ZONGJI_UNPATCHED', message, {
      hint: 'Reinstall with install scripts allowed (`npm ci`, or `npx patch-package` in the db-sync folder); '
        + 'the patch is patches/@vlasky+zongji+0.9.0.patch.',
    });
  }
}

/** Row event flag (sql/log_event.h Rows_log_event::NO_FOREIGN_KEY_CHECKS_F). */
const NO_FOREIGN_KEY_CHECKS_F = 1 << 1;

export function openBinlogClient(o: BinlogClientOptions): BinlogClient {
  assertPatchedZongji();
  const opts = driverOptions(o.connection, { database: null });
  const zj = new ZongJi({
    host: opts.host, port: opts.port, user: opts.user, password: opts.password, ssl: opts.ssl,
    charset: 'utf8mb4_general_ci', timezone: 'Z', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true,
    jsonStrings: true, enableKeepAlive: true, connectTimeout: 10_000,
  } as ConstructorParameters<typeof ZongJi>[0]);
  const translator = new EventTranslator(o.start.file);
  zj.on('binlog', (e: AnyBinlogEvent) => {
    let ev: ChangeEvent | null;
    try {
      ev = translator.translate(e);
    } catch (err) {
      o.onError(err instanceof SyncError
        ? err
        : new SyncError('BINLOG_DECODE', `cannot read a binlog event: ${(err as Error).message}`, { cause: err }));
      return;
    }
    if (!ev) return;
    lagTrace?.decoded(ev.type);
    o.onEvent(ev);
  });
  zj.on('error', (err: Error & { code?: string; fatal?: boolean; errno?: number }) => o.onError(binlogError(err)));
  const from = o.gtids !== undefined ? { gtidSet: o.gtids, gtidStrictMode: true } : { filename: o.start.file,
    position: o.start.pos };
  const schemas = new Set(o.schemas ?? [o.schema]);
  const filters = () => ({
    includeEvents: EVENTS,
    includeSchema: Object.fromEntries([...schemas].map((s) => [s, true])),
  });
  zj.start({ serverId: o.serverId, ...from, ...filters(), exactValues: true } as Parameters<typeof zj.start>[0]);
  // mysql2's socket (not in its typings): every chunk of the dump, filtered events included
  const socket = (zj.connection as unknown as { stream?: NodeJS.ReadableStream } | null)?.stream;
  socket?.on('data', (chunk: Buffer) => o.onBytes?.(chunk.length));
  if (lagTrace) socket?.prependListener('data', () => lagTrace?.chunk()); // before the driver decodes it
  return {
    received: () => translator.received,
    stop: () => { try { zj.stop(); } catch { /* already stopped */ } },
    pause: () => zj.connection?.pause(),
    resume: () => zj.connection?.resume(),
    include: (schema) => {
      if (schemas.has(schema)) return;
      schemas.add(schema);
      zj.start(filters() as Parameters<typeof zj.start>[0]); // a running reader only takes the new filters
    },
  };
}

type Raw = AnyBinlogEvent & { size?: number; gtid?: string; nextPosition: number; timestamp: number };

/**
 * zongji events -> ChangeEvents; keeps the current file and whether a transaction is open.
 * Called for every event: it builds each ChangeEvent as one object literal (no spread, no
 * closure) and keeps the received position as two fields, an object only when asked for.
 */
class EventTranslator {
  private inTxn = false;
  /** After the last event received; 0 before the first. */
  private receivedPos = 0;

  constructor(private file: string) {}

  get received(): BinlogPosition | null {
    return this.receivedPos > 0 ? { file: this.file, pos: this.receivedPos } : null;
  }

  translate(e: AnyBinlogEvent): ChangeEvent | null {
    const r = e as Raw;
    const name = e.getEventName();
    if (name === 'tablemap' || name === 'gtid') {
      // MySQL's GTID event: a transaction starts here (its BEGIN follows), no resume position inside it
      if (r.nextPosition > 0) this.receivedPos = r.nextPosition;
      return null;
    }
    const timestamp = r.timestamp;
    const size = Number(r.size ?? 0);
    const receivedAt = nowMs();
    if (name === 'rotate') {
      const rot = e as Extract<AnyBinlogEvent, { binlogName: string; position: number }>;
      this.file = rot.binlogName;
      this.receivedPos = Number(rot.position);
      return { type: 'position', position: { file: this.file, pos: this.receivedPos }, timestamp, size, receivedAt };
    }
    if (r.nextPosition > 0) this.receivedPos = r.nextPosition;
    switch (name) {
      case 'mariadbgtid': {
        const g = e as Extract<AnyBinlogEvent, { standalone: boolean }>;
        this.inTxn = !g.standalone;
        return g.standalone ? null : { type: 'begin', gtid: r.gtid, timestamp, size, receivedAt };
      }
      case 'writerows':
      case 'deleterows':
      case 'updaterows':
        return rowsEvent(e, name, timestamp, size, receivedAt);
      case 'xid':
        this.inTxn = false;
        return { type: 'commit', position: this.here(r), gtid: r.gtid, timestamp, size, receivedAt };
      case 'xaprepare':
        this.inTxn = false;
        return { type: 'xa-prepare', position: this.here(r), gtid: r.gtid, timestamp, size, receivedAt };
      case 'query':
        return this.query(e as Extract<AnyBinlogEvent, { query: string; schema: string }>, this.here(r),
          { timestamp, size, receivedAt });
      default:
        if (this.inTxn || !(r.nextPosition > 0)) return null;
        return { type: 'position', position: this.here(r), timestamp, size, receivedAt };
    }
  }

  private here(r: Raw): BinlogPosition {
    return { file: this.file, pos: r.nextPosition };
  }

  private query(q: Extract<AnyBinlogEvent, { query: string; schema: string }>, position: BinlogPosition,
    base: { timestamp: number; size: number; receivedAt: number }): ChangeEvent {
    const raw = q as typeof q & { queryBuffer: Buffer; statusVarsBuffer: Buffer; gtid?: string };
    const text = q.query.trim();
    if (/^BEGIN$/i.test(text)) { this.inTxn = true; return { type: 'begin', gtid: raw.gtid, ...base }; }
    if (/^COMMIT$/i.test(text)) { this.inTxn = false; return { type: 'commit', position, gtid: raw.gtid, ...base }; }
    const inTxn = this.inTxn;
    if (/^ROLLBACK$/i.test(text)) this.inTxn = false;
    return { type: 'query', schema: q.schema, sql: raw.queryBuffer, context: parseStatusVars(raw.statusVarsBuffer),
      inTxn, position, gtid: raw.gtid, ...base };
  }
}

function rowsEvent(e: AnyBinlogEvent, name: 'writerows' | 'deleterows' | 'updaterows',
  timestamp: number, size: number, receivedAt: number): ChangeEvent | null {
  const r = e as Extract<AnyBinlogEvent, { rows: unknown[] }> & { tableId: number; flags: number };
  const entry = r.tableMap[r.tableId];
  if (!entry) return null;
  const fkChecks = (Number(r.flags) & NO_FOREIGN_KEY_CHECKS_F) === 0;
  if (name === 'updaterows') {
    return { type: 'rows', schema: entry.parentSchema, table: entry.tableName, fkChecks, timestamp, size, receivedAt,
      op: 'update', rows: r.rows as Array<{ before: RowImage; after: RowImage }> };
  }
  return { type: 'rows', schema: entry.parentSchema, table: entry.tableName, fkChecks, timestamp, size, receivedAt,
    op: name === 'writerows' ? 'insert' : 'delete', rows: r.rows as RowImage[] };
}

/**
 * ER_MASTER_FATAL_ERROR_READING_BINLOG (1236): the position is gone or invalid. Connection
 * errors (a code, or fatal) are retried; anything else is the decoder refusing an event,
 * which a retry would only repeat.
 */
function binlogError(err: Error & { code?: string; errno?: number; fatal?: boolean }): SyncError {
  if (err.errno === 1236 && /GTID/i.test(err.message) && !/purged/i.test(err.message)) {
    // the server's own check of a GTID start (ER_GTID_POSITION_NOT_FOUND_IN_BINLOG*, ..._HOLE)
    return new SyncError('SOURCE_MISSING_GTIDS',
      `the source does not have the transactions the target already has: ${err.message}`, {
      hint: 'The source is not the server the checkpoint came from, or lost transactions. Re-copy the data: ' +
        '`db-sync sync run PAIR --resnapshot`; `db-sync verify PAIR --repair` shows and repairs the rows that differ.',
      cause: err,
    });
  }
  if (err.errno === 1236) {
    return new SyncError('BINLOG_PURGED', `the source cannot stream from the saved binlog position: ${err.message}`, {
      hint: 'The binlog the pair needs was purged (or the source changed). Re-copy the data: '
        + '`db-sync sync run PAIR --resnapshot`; keep binlogs longer (binlog_expire_logs_seconds) to avoid this.',
      cause: err,
    });
  }
  if (!err.code && !err.fatal && err.errno === undefined) {
    return new SyncError('BINLOG_DECODE', `the binlog reader refused an event: ${err.message}`, {
      hint: 'db-sync cannot read this event exactly and stops rather than skip it. '
        + 'Check the server settings named in the message; report it if it is not one of them.',
      cause: err,
    });
  }
  return new SyncError('BINLOG_STREAM_LOST', `binlog stream failed: ${err.message}`, {
    hint: 'Check that the source is reachable; db-sync reconnects and resumes from the last applied checkpoint.',
    retryable: true, cause: err,
  });
}
