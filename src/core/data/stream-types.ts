/**
 * The change stream's options and statistics: plain types shared by the apply loop
 * (apply-loop.ts), its statement handler and the status helper, so none of them imports
 * another for its types.
 */
import type { ConnectionConfig } from '../config/schema.js';
import type { FlavorName } from '../db/flavor.js';
import type { Logger } from '../log.js';
import type { Applier, TableMode } from './applier.js';
import type { DdlJournal } from './ddl-replay.js';
import type { BinlogPosition } from './events.js';
import type { ClockSample } from './lag.js';
import type { ObjectType } from './statement-kind.js';

export interface StreamStats {
  events: number;
  rows: number;
  transactions: number;
  /** Source commit to target commit (ms; lag.ts), 0 when caught up. */
  lagMs: number;
  /** Nothing received and unapplied, and no change event for QUIET_MS. */
  caughtUp: boolean;
  /** When the last change event arrived (ms), null when none did in this run. */
  lastEventAt: number | null;
  /** Bytes from the applied position to the source's binlog end (polled every 2 s), null before the first poll. */
  distanceBytes: number | null;
  position: BinlogPosition;
  gtid?: string;
  /** True when nothing is queued (caught up). */
  idle: boolean;
  /** Events and bytes received but not applied yet. */
  backlogEvents: number;
  backlogBytes: number;
  /** Reading on a reader of its own or on the one shared with the other pairs of the source. */
  reader: 'own' | 'shared';
}

export interface StreamOptions {
  source: ConnectionConfig;
  sourceSchema: string;
  targetSchema: string;
  serverId: number;
  start: BinlogPosition;
  /**
   * The GTID state the target holds at `start` (MariaDB position / MySQL set): the dump starts
   * from it, and every checkpoint carries it with the commits applied since. Absent: by file:pos.
   */
  startGtids?: { flavor: FlavorName; gtids: string };
  /** Stop once the applied position reaches this (catch-up, --once). */
  until: BinlogPosition | null;
  applier: Applier;
  tableMode: (table: string) => TableMode;
  inScope: (table: string) => boolean;
  /** Replay table DDL (the pair syncs schema); sync programmable objects (the pair syncs routines). */
  replayDdl: boolean;
  syncObjects: boolean;
  /** Checkpoint rows to commit with every target transaction, given the position covered. */
  checkpoints: (pos: BinlogPosition, gtid: string | undefined, gtids: string | undefined) => Array<[string, unknown]>;
  /** The DDL journal left by a run that died during a DDL statement. */
  journal: DdlJournal | null;
  /** SET statement restoring the apply session after a replayed statement. */
  baseline: string;
  /** Views, triggers, routines, events changed on the source: re-sync them (must not throw for their own failures). */
  onObjects: (objects: Array<{ type: ObjectType; name: string }>) => Promise<void>;
  /** A resumed snapshot's catch-up: DDL touched `table` / tables entered the scope (copied later). */
  catchUp?: { onTableDdl: (tables: string[]) => void; onCopy: (tables: string[]) => void };
  /** Snapshot state to commit when tables must be copied before streaming on. */
  copyState?: (tables: string[]) => Array<[string, unknown]>;
  /** Current server binlog end, for the stall watchdog. */
  serverPosition: () => Promise<BinlogPosition>;
  /** The source's binlog files and sizes (distance), and samples of its clock (lag). */
  sourceFiles: () => Promise<Array<{ name: string; size: number }>>;
  sourceClock: () => Promise<ClockSample[]>;
  onProgress: (stats: StreamStats) => void;
  onWarning?: (message: string) => void;
  logger: Logger;
  signal: AbortSignal;
  watchdogMs?: number;
  heartbeatMs?: number;
  maxGroupTxns?: number;
  maxGroupMs?: number;
  /** Backlog bound in bytes (default 64 MiB). */
  maxBacklogBytes?: number;
  /** Share one binlog reader with the other streams of this source in the process (binlog-hub.ts). */
  sharedReader?: boolean;
}
