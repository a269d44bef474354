/**
 * The binlog data engine for one pair, read like go-mysql's canal: check the source, take
 * the pair's lock on the target, bring the schema in (a new pair only), copy (or resume the
 * copy), then stream changes; all under the retry supervisor.
 *
 * Everything the pair writes to the target goes through one apply session that holds the
 * pair's lock (runner-lock.ts): when the session ends, the lock and any open transaction go
 * with it, at the same instant.
 */
import { createHash } from 'node:crypto';
import type { ConnectionConfig } from '../config/schema.js';
import { BinarySession, openConnection, type Db } from '../db/connection.js';
import { checkCapabilities, type Capabilities } from '../preflight.js';
import { quoteString } from '../db/quote.js';
import { prepareApplySession } from '../db/session.js';
import { listSyncedTables } from '../db/table-info.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StatusSink } from '../status.js';
import { Applier } from './applier.js';
import { runStream, type StreamOptions } from './apply-loop.js';
import {
  deleteCheckpointsExcept, readCheckpoint, writeCheckpoint, type BinlogCheckpoint, type WriteFence,
} from './checkpoint.js';
import { canFailOver, reanchorOnNewServer } from './gtid-failover.js';
import { MysqlGtidsAt, type MysqlEventRow } from './gtid.js';
import { DDL_JOURNAL, sessionBaseline, type DdlJournal } from './ddl-replay.js';
import { comparePositions, formatPosition, type BinlogPosition } from './events.js';
import { binlogFiles, binlogSizes, serverPosition, sourceClock } from './position.js';
import { nowMs } from './lag.js';
import { RUNNER_STREAM } from './runner-lock.js';
import { withPairLock, type StandbyPolicy } from './standby.js';
import { freshProgress, partialState, SNAPSHOT_STREAM, SnapshotRunner } from './snapshot-runner.js';
import type { SnapshotState } from './snapshot.js';
import { deleteRangesSql, rangeStream, readRanges } from './snapshot-ranges.js';
import type { ObjectType } from './statement-kind.js';
import { StreamStatus } from './stream-status.js';
import { supervise } from './supervisor.js';
import { SourceGuard, type GuardSettings } from '../guard/source-guard.js';

export type { BinlogCheckpoint };

/** The run a schema hook works for: its signal (aborted when the lock is lost) and the lock's fence. */
export interface SchemaRun {
  signal: AbortSignal;
  fence?: WriteFence;
}

export interface SchemaHooks {
  /** A new pair (no checkpoint yet): make the target's schema the source's (tables and objects). */
  initial: (run: SchemaRun) => Promise<void>;
  /** Views, triggers, routines, events: re-sync these (all when 'all'); failures are the hook's to report. */
  objects: (objects: Array<{ type: ObjectType; name: string }> | 'all', run: SchemaRun) => Promise<void>;
}

export interface BinlogSyncOptions {
  pairName: string;
  source: ConnectionConfig;
  /** The source's capabilities when already read (mode auto chose binlog with them): not read again. */
  capabilities?: Capabilities;
  target: ConnectionConfig;
  /** The pair's table filter (include/exclude globs, never db-sync's own tables). */
  inScope: (table: string) => boolean;
  /** The pair syncs table definitions (DDL is replayed) / programmable objects. */
  replayDdl: boolean;
  syncObjects: boolean;
  schema: SchemaHooks;
  once: boolean;
  /** Forget the checkpoints and copy everything again. */
  resnapshot: boolean;
  /** Copy these tables again (from the current checkpoint on). */
  recopy?: string[];
  maxRetries: number;
  retryDelay: number;
  status: StatusSink;
  logger: Logger;
  signal: AbortSignal;
  chunkRows?: number;
  /** Bytes of rendered rows per snapshot chunk (default 1 MiB) when chunkRows is not given. */
  chunkBytes?: number;
  /** Target connections loading the snapshot (default from the target's cores). */
  snapshotParallel?: number;
  watchdogMs?: number;
  /** Share one binlog reader with the other pairs of this source in the process (binlog-hub.ts). */
  sharedReader?: boolean;
  /** Bound of received, unapplied binlog events in bytes (default 64 MiB). */
  maxBacklogBytes?: number;
  /** Throttle the snapshot's reads while the source is loaded; watch its history list length. */
  guard?: GuardSettings;
  /** Wait while another runner holds the pair (a service); without it, PAIR_LOCKED at once. */
  standby?: StandbyPolicy;
  /** Set by the run from the pair's lock it holds: snapshot loaders and the schema step write only under it. */
  fence?: WriteFence;
}

export const BINLOG_STREAM = 'binlog';
export { SNAPSHOT_STREAM };

export async function runBinlogSync(o: BinlogSyncOptions): Promise<void> {
  const caps = o.capabilities ?? await checkCapabilities(o.source);
  if (!caps.binlogUsable) {
    const message = `the source cannot be streamed from its binlog: ${caps.binlogProblems.join('; ')}`;
    throw new SyncError('BINLOG_NOT_USABLE', message, {
      hint: `Fix on the source: ${caps.binlogProblems.join('; ')}. Or set the pair's mode to "poll".`,
    });
  }
  const until = o.once ? await withDb(o.source, (db) => serverPosition(db, caps.flavor)) : null;
  const first = { resnapshot: o.resnapshot, recopy: o.recopy ?? [] };
  await supervise(async () => {
    await runOnce(o, caps, until, first);
  }, {
    maxRetries: o.maxRetries, retryDelay: o.retryDelay, once: o.once,
    signal: o.signal, status: o.status, logger: o.logger,
  });
}

async function withDb<T>(conn: ConnectionConfig, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openConnection(conn);
  try {
    return await fn(db);
  } finally {
    await db?.close();
  }
}

/** A replica id unique per pair and target, outside the usual small server ids. */
export function streamServerId(o: { pairName: string; source: ConnectionConfig; target: ConnectionConfig }): number {
  const key = `${o.pairName}\0${o.source.database}\0${o.target.host}:${o.target.port}/${o.target.database}`;
  const h = createHash('sha1').update(key).digest();
  return 0x40000000 + (h.readUInt32BE(0) % 0x3fffffff);
}

async function runOnce(o: BinlogSyncOptions, caps: Capabilities, until: BinlogPosition | null,
  first: { resnapshot: boolean; recopy: string[] }): Promise<void> {
  // from the lock on, losing it ends the run like a stop, then fails it (PAIR_LOCK_LOST)
  await withPairLock({ ...o, prepare: prepareApplySession }, async (session, signal, fence) => {
    const run: BinlogSyncOptions = { ...o, signal, fence };
    const control = await openConnection(o.source);
    const guard = o.guard ? new SourceGuard(control, o.guard, o.logger, run.signal) : undefined;
    try {
      await underLock(run, caps, until, first, session, control, guard);
    } finally {
      await guard?.close();
      await control.close(2000);
    }
  });
}

async function underLock(o: BinlogSyncOptions, caps: Capabilities, until: BinlogPosition | null,
  first: { resnapshot: boolean; recopy: string[] }, session: BinarySession, control: Db,
  guard: SourceGuard | undefined): Promise<void> {
  if (first.resnapshot) {
    await deleteCheckpointsExcept(session, o.pairName, RUNNER_STREAM);
    first.resnapshot = false;
  }
  let ckpt = await readCheckpoint<BinlogCheckpoint>(session, o.pairName, BINLOG_STREAM);
  let schemaTables: string[] | undefined;
  if (ckpt) ckpt = await checkSource(session, control, ckpt, caps, o);
  else if (o.replayDdl || o.syncObjects) schemaTables = await initialSchema(o, session, control);
  if (ckpt && o.syncObjects) await o.schema.objects('all', o);
  const engine = await Engine.create(o, caps, session, control, guard);
  if (first.recopy.length && ckpt) {
    await engine.recopy(first.recopy);
    first.recopy = [];
  }
  await engine.loop(ckpt, until, schemaTables);
}

/**
 * A new pair's schema step. Returns the tables it gave the target from the source's list (the
 * source had them before the step; the target has them after it): the snapshot's read comes
 * later, and one the source drops or renames in between must not stay behind on the target.
 */
async function initialSchema(o: BinlogSyncOptions, session: BinarySession, control: Db): Promise<string[] | undefined> {
  const before = o.replayDdl ? new Set(await listSyncedTables(control, o.source.database, o.inScope)) : null;
  await o.schema.initial(o);
  if (!before) return undefined;
  return (await listSyncedTables(session, o.target.database, o.inScope)).filter((t) => before.has(t));
}

/** Snapshot and stream over one apply session. */
class Engine {
  private constructor(private readonly opts: BinlogSyncOptions, private readonly caps: Capabilities,
    private readonly applier: Applier, private readonly base: Omit<StreamOptions, 'start' | 'until' | 'tableMode'>,
    private readonly status: StreamStatus, private readonly maxPacket: number,
    private readonly gtidsAt: (p: BinlogPosition) => Promise<string | null>, private readonly guard?: SourceGuard) {}

  static async create(o: BinlogSyncOptions, caps: Capabilities, session: BinarySession, control: Db,
    guard?: SourceGuard): Promise<Engine> {
    const status = new StreamStatus(o.status);
    const [packet] = await session.rows<{ p: number | string }>('SELECT @@max_allowed_packet AS p');
    const maxPacket = Number(packet?.p ?? 16 << 20);
    const applier = new Applier({
      session, pair: o.pairName, targetSchema: o.target.database, inScope: o.inScope, logger: o.logger,
      onWarning: (w) => status.warn(w), maxPacket,
    });
    const identity = identityOf(caps);
    const base: Omit<StreamOptions, 'start' | 'until' | 'tableMode'> = {
      source: o.source, sourceSchema: o.source.database, targetSchema: o.target.database, serverId: streamServerId(o),
      applier, inScope: o.inScope, replayDdl: o.replayDdl, syncObjects: o.syncObjects,
      checkpoints: (pos, gtid, gtids) => [[BINLOG_STREAM, identity(pos, gtid, gtids)]],
      journal: await readCheckpoint<DdlJournal>(session, o.pairName, DDL_JOURNAL),
      baseline: await sessionBaseline(session),
      onObjects: (objects) => o.schema.objects(objects, o),
      copyState: (tables) => [[SNAPSHOT_STREAM, partialState(tables)]],
      serverPosition: () => serverPosition(control, caps.flavor),
      sourceFiles: () => binlogSizes(control), sourceClock: () => sourceClock(control, nowMs),
      onProgress: (s) => status.streamProgress(s), onWarning: (w) => status.warn(w),
      logger: o.logger, signal: o.signal, watchdogMs: o.watchdogMs, maxBacklogBytes: o.maxBacklogBytes,
      sharedReader: o.sharedReader,
    };
    const gtidsAt = (p: BinlogPosition) => gtidPositionAt(control, caps, p);
    return new Engine(o, caps, applier, base, status, maxPacket, gtidsAt, guard);
  }

  /** --recopy: copy these tables again from the current checkpoint on (a partial snapshot). */
  async recopy(tables: string[]): Promise<void> {
    const saved = await readCheckpoint<SnapshotState>(this.applier.session, this.opts.pairName, SNAPSHOT_STREAM);
    const state = saved ?? partialState([]);
    for (const t of tables) state.tables[t] = freshProgress();
    if (!saved) state.partial = true;
    // a snapshot in progress may have copied key ranges of these tables: they start over
    const ranges = (await readRanges(this.applier.session, this.opts.pairName)).filter((r) => tables.includes(r.table));
    await this.applier.commit([[SNAPSHOT_STREAM, state]], deleteRangesSql(this.opts.pairName, ranges.map(rangeStream)));
    this.opts.logger.info({ tables }, 'tables will be copied again');
  }

  async loop(ckpt: BinlogCheckpoint | null, until: BinlogPosition | null, schemaTables?: string[]): Promise<void> {
    const identity = identityOf(this.caps);
    if (this.opts.replayDdl) await this.applier.checkCascades();
    for (;;) {
      const snap = await readCheckpoint<SnapshotState>(this.applier.session, this.opts.pairName, SNAPSHOT_STREAM);
      if (!ckpt || snap) {
        const runner = new SnapshotRunner({
          pairName: this.opts.pairName, source: this.opts.source, target: this.opts.target,
          inScope: this.opts.inScope, caps: this.caps, applier: this.applier, ownsSchema: this.opts.replayDdl,
          maxPacket: this.maxPacket, identity, streamBase: this.base,
          statusHelper: this.status, logger: this.opts.logger, signal: this.opts.signal, chunkRows: this.opts.chunkRows,
          chunkBytes: this.opts.chunkBytes, parallel: this.opts.snapshotParallel, guard: this.guard, schemaTables,
          fence: this.opts.fence,
        });
        ckpt = await runner.run(ckpt, snap);
        if (this.opts.signal.aborted) return;
        // tables changed during the copy are copied again from a newer read first
        if (await readCheckpoint(this.applier.session, this.opts.pairName, SNAPSHOT_STREAM)) continue;
      }
      const start = { file: ckpt.file, pos: ckpt.pos };
      if (until && comparePositions(start, until) >= 0) return;
      this.opts.status.update({ state: 'streaming', mode: 'binlog', nextRetryAt: null, snapshot: null });
      this.opts.logger.info(
        { from: formatPosition(start), until: until ? formatPosition(until) : null },
        'streaming binlog changes',
      );
      const gtids = ckpt.gtids ?? (await this.gtidsAt(start)) ?? undefined;
      const result = await runStream({
        ...this.base,
        journal: await readCheckpoint<DdlJournal>(this.applier.session, this.opts.pairName, DDL_JOURNAL),
        start, until, tableMode: () => 'exact',
        ...(gtids !== undefined ? { startGtids: { flavor: this.caps.flavor.name, gtids } } : {}),
      });
      if (!result.copy.length) return;
      this.opts.logger.info(
        { tables: result.copy, at: formatPosition(result.position) },
        'tables entered the pair\'s scope: copying them',
      );
      ckpt = (await readCheckpoint<BinlogCheckpoint>(this.applier.session, this.opts.pairName,
        BINLOG_STREAM)) ?? identity(result.position, ckpt.gtid);
    }
  }
}

function identityOf(caps: Capabilities): (pos: BinlogPosition, gtid?: string, gtids?: string) => BinlogCheckpoint {
  return (pos, gtid, gtids) => ({
    file: pos.file, pos: pos.pos, ...(gtid ? { gtid } : {}), ...(gtids !== undefined ? { gtids } : {}),
      serverId: caps.serverId, serverUuid: caps.serverUuid, flavor: caps.flavor.name,
  });
}

/**
 * The GTID state matching a binlog file:pos of this server, to seed the GTID state of a
 * checkpoint that has none yet (after a MariaDB snapshot, or written by an older db-sync).
 * MariaDB: BINLOG_GTID_POS, read from the binlog itself. MySQL: the file's Previous_gtids plus
 * its GTIDs up to the position (MysqlGtidsAt), read once; a MySQL snapshot already carries it.
 */
async function gtidPositionAt(db: Db, caps: Capabilities, p: BinlogPosition): Promise<string | null> {
  if (!caps.gtidMode) return null;
  if (caps.flavor.name === 'mysql') return mysqlGtidsAt(db, p);
  const [row] = await db.rows<{ g: string | null }>('SELECT BINLOG_GTID_POS(?, ?) AS g', [p.file, p.pos]);
  return row?.g ?? null;
}

async function mysqlGtidsAt(db: Db, p: BinlogPosition): Promise<string | null> {
  const scan = new MysqlGtidsAt(p.pos);
  for (let from = 4; !scan.done;) {
    const rows = await db.rows<MysqlEventRow>(
      `SHOW BINLOG EVENTS IN ${quoteString(p.file)} FROM ${from} LIMIT 1000`);
    scan.feed(rows);
    const last = rows[rows.length - 1];
    if (!last || rows.length < 1000) break;
    from = Number(last.End_log_pos);
  }
  return scan.result();
}

/**
 * The checkpoint must come from this source (or be carried here by its GTIDs after a
 * failover, then re-anchored and saved at once) and its binlog must still exist.
 */
async function checkSource(session: BinarySession, db: Db, ckpt: BinlogCheckpoint, caps: Capabilities,
  o: BinlogSyncOptions): Promise<BinlogCheckpoint> {
  const moved = ckpt.serverId !== caps.serverId
    || (!!ckpt.serverUuid && !!caps.serverUuid && ckpt.serverUuid !== caps.serverUuid);
  if (!moved) {
    await verifyBinlogFile(db, ckpt);
    return ckpt;
  }
  const snapshotOpen = await readCheckpoint(session, o.pairName, SNAPSHOT_STREAM);
  if (!canFailOver(ckpt, caps) || snapshotOpen) {
    const why = snapshotOpen ? 'a snapshot or copy was in progress there' : !caps.gtidMode ? 'the source has no GTIDs'
      : ckpt.gtids === undefined ? 'the checkpoint has no GTID state (written before db-sync resumed by ' +
        'GTID)' : `the flavor changed (${ckpt.flavor} -> ${caps.flavor.name})`;
    throw new SyncError('SOURCE_CHANGED',
      `the checkpoint was taken on source server_id ` +
        `${ckpt.serverId}${ckpt.serverUuid ? ` (${ckpt.serverUuid})` : ''}, but the source is now server_id ` +
          `${caps.serverId}, and ${why}`, {
      hint: 'Binlog positions of another server mean nothing here. Re-copy the data from the current source: ' +
        '`db-sync sync run PAIR --resnapshot`.',
    });
  }
  const anchored = await reanchorOnNewServer(db, ckpt, caps);
  await writeCheckpoint(session, o.pairName, BINLOG_STREAM, anchored);
  o.logger.warn({ from: ckpt.serverId, to: caps.serverId, gtids: ckpt.gtids, at: formatPosition(anchored) },
    'the source is another server (failover): continuing from the checkpoint\'s GTIDs');
  return anchored;
}

async function verifyBinlogFile(db: Db, ckpt: BinlogCheckpoint): Promise<void> {
  const resnap = 'Re-copy the data from the current source: `db-sync sync run PAIR --resnapshot`.';
  const files = await binlogFiles(db);
  if (!files.includes(ckpt.file)) {
    const message = `the source no longer has binlog ${ckpt.file} (checkpoint ${formatPosition(ckpt)}); `
      + `oldest is ${files[0] ?? 'none'}`;
    throw new SyncError('BINLOG_PURGED', message, {
      hint: `Changes since the checkpoint are lost from the binlog. ${resnap} `
        + 'Keep binlogs longer (binlog_expire_logs_seconds) than a pair may be stopped.',
    });
  }
}

