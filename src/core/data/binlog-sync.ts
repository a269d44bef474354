/**
 * The binlog data engine for one pair: verify the checkpoint's source, run (or resume) the
 * consistent snapshot, then stream changes, all under the retry supervisor.
 */
import { createHash } from 'node:crypto';
import type { ConnectionConfig } from '../config/schema.js';
import { closeQuietly, closeWithin, openConnection, type Db } from '../db/connection.js';
import { checkCapabilities, type Capabilities } from '../db/preflight.js';
import { prepareApplySession } from '../db/session.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StatusSink } from '../pair/status.js';
import { Applier } from './applier.js';
import { runStream, type StreamOptions } from './binlog-stream.js';
import { deleteCheckpoints, ensureCheckpointTable, readCheckpoint } from './checkpoint.js';
import { comparePositions, formatPosition, type BinlogPosition } from './events.js';
import { binlogFiles, serverPosition } from './position.js';
import { SnapshotRunner } from './snapshot-runner.js';
import type { SnapshotState } from './snapshot.js';
import { keylessWarning, StreamStatus } from './stream-status.js';
import { supervise } from './supervisor.js';

export interface BinlogSyncOptions {
  pairName: string;
  source: ConnectionConfig;
  target: ConnectionConfig;
  /** The pair's table filter (include/exclude globs, never db-sync's own tables). */
  inScope: (table: string) => boolean;
  once: boolean;
  /** Forget the checkpoints and copy everything again. */
  resnapshot: boolean;
  maxRetries: number;
  retryDelay: number;
  onDdl: (tables: string[] | 'all') => Promise<void>;
  status: StatusSink;
  logger: Logger;
  signal: AbortSignal;
  chunkRows?: number;
  watchdogMs?: number;
}

export interface BinlogCheckpoint extends BinlogPosition {
  gtid?: string;
  serverId: number;
  serverUuid: string | null;
  flavor: string;
}

export const BINLOG_STREAM = 'binlog';
export const SNAPSHOT_STREAM = 'snapshot';

export async function runBinlogSync(o: BinlogSyncOptions): Promise<void> {
  const caps = await checkCapabilities(o.source);
  if (!caps.binlogUsable) {
    throw new SyncError('BINLOG_NOT_USABLE', `the source cannot be streamed from its binlog: ${caps.binlogProblems.join('; ')}`, {
      hint: `Fix on the source: ${caps.binlogProblems.join('; ')}. Or set the pair's mode to "poll".`,
    });
  }
  const until = o.once ? await withDb(o.source, (db) => serverPosition(db, caps.flavor)) : null;
  if (o.resnapshot) await withDb(o.target, async (db) => { await ensureCheckpointTable(db); await deleteCheckpoints(db, o.pairName); });
  await supervise(() => runOnce(o, caps, until), {
    maxRetries: o.maxRetries, retryDelay: o.retryDelay, once: o.once, signal: o.signal, status: o.status, logger: o.logger,
  });
}

async function withDb<T>(conn: ConnectionConfig, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openConnection(conn);
  try {
    return await fn(db);
  } finally {
    await closeQuietly(db);
  }
}

/** A replica id unique per pair and target, outside the usual small server ids. */
export function streamServerId(o: { pairName: string; source: ConnectionConfig; target: ConnectionConfig }): number {
  const h = createHash('sha1').update(`${o.pairName}\0${o.source.database}\0${o.target.host}:${o.target.port}/${o.target.database}`).digest();
  return 0x40000000 + (h.readUInt32BE(0) % 0x3fffffff);
}

async function runOnce(o: BinlogSyncOptions, caps: Capabilities, until: BinlogPosition | null): Promise<void> {
  // multipleStatements: the applier sends START TRANSACTION / checkpoint / COMMIT with
  // neighbouring statements (all values are escaped parameters, identifiers quoted).
  const target = await openConnection(o.target, { multipleStatements: true });
  const control = await openConnection(o.source);
  try {
    await prepareApplySession(target);
    await ensureCheckpointTable(target);
    let ckpt = await readCheckpoint<BinlogCheckpoint>(target, o.pairName, BINLOG_STREAM);
    const snap = await readCheckpoint<SnapshotState>(target, o.pairName, SNAPSHOT_STREAM);
    if (ckpt) await verifySource(control, ckpt, caps);
    const statusHelper = new StreamStatus(o.status);
    const applier = new Applier({
      db: target, pair: o.pairName, targetSchema: o.target.database, logger: o.logger,
      onKeyless: (t) => statusHelper.warn(keylessWarning(t)),
    });
    const identity = (pos: BinlogPosition, gtid?: string): BinlogCheckpoint => ({
      file: pos.file, pos: pos.pos, ...(gtid ? { gtid } : {}), serverId: caps.serverId, serverUuid: caps.serverUuid, flavor: caps.flavor.name,
    });
    const streamBase = streamOptions(o, caps, applier, control, statusHelper, identity);
    if (!ckpt || snap) {
      const runner = new SnapshotRunner({ ...o, caps, applier, identity, streamBase, statusHelper });
      ckpt = identity(await runner.run(ckpt, snap));
      if (o.signal.aborted) return;
    }
    const start = { file: ckpt.file, pos: ckpt.pos };
    if (until && comparePositions(start, until) >= 0) return;
    o.status.update({ state: 'streaming', mode: 'binlog', nextRetryAt: null, snapshot: null });
    o.logger.info({ from: formatPosition(start), until: until ? formatPosition(until) : null }, 'streaming binlog changes');
    await runStream({ ...streamBase, start, until, tableMode: () => 'exact' });
  } finally {
    await closeWithin(control);
    await closeWithin(target);
  }
}

function streamOptions(o: BinlogSyncOptions, caps: Capabilities, applier: Applier, control: Db, st: StreamStatus,
  identity: (pos: BinlogPosition, gtid?: string) => BinlogCheckpoint): Omit<StreamOptions, 'start' | 'until' | 'tableMode'> {
  return {
    source: o.source, sourceSchema: o.source.database, serverId: streamServerId(o), applier, inScope: o.inScope,
    checkpoints: (pos, gtid) => [[BINLOG_STREAM, identity(pos, gtid)]],
    onDdl: o.onDdl, serverPosition: () => serverPosition(control, caps.flavor),
    onProgress: (s) => st.streamProgress(s), logger: o.logger, signal: o.signal, watchdogMs: o.watchdogMs,
  };
}

/** The checkpoint must come from this source and its binlog must still exist. */
async function verifySource(db: Db, ckpt: BinlogCheckpoint, caps: Capabilities): Promise<void> {
  const resnap = 'Re-copy the data from the current source: `db-sync sync run PAIR --resnapshot`.';
  if (ckpt.serverId !== caps.serverId || (ckpt.serverUuid && caps.serverUuid && ckpt.serverUuid !== caps.serverUuid)) {
    throw new SyncError('SOURCE_CHANGED', `the checkpoint was taken on source server_id ${ckpt.serverId}${ckpt.serverUuid ? ` (${ckpt.serverUuid})` : ''}, but the source is now server_id ${caps.serverId}`, {
      hint: `Binlog positions of another server mean nothing here. ${resnap}`,
    });
  }
  const files = await binlogFiles(db);
  if (!files.includes(ckpt.file)) {
    throw new SyncError('BINLOG_PURGED', `the source no longer has binlog ${ckpt.file} (checkpoint ${formatPosition(ckpt)}); oldest is ${files[0] ?? 'none'}`, {
      hint: `Changes since the checkpoint are lost from the binlog. ${resnap} Keep binlogs longer (binlog_expire_logs_seconds) than a pair may be stopped.`,
    });
  }
}
