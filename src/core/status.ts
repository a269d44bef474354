/**
 * The per-pair status every pipeline reports into and the service publishes
 * (status file / `status --json`). Plain data only.
 */
export const PAIR_STATES = [
  'starting', 'standby', 'schema', 'snapshot', 'streaming', 'polling', 'retrying', 'error', 'disabled', 'stopped',
] as const;
export type PairState = (typeof PAIR_STATES)[number];

export interface SnapshotProgress {
  table: string | null;
  tablesDone: number;
  tablesTotal: number;
  rowsDone: number;
  rowsTotal: number;
  percent: number;
  rowsPerSec: number;
  etaSec: number | null;
}

export interface PairErrorInfo {
  code: string;
  message: string;
  hint?: string;
  at: string;
}

/** Why a pair waits (state 'standby'): another runner holds its lock, or this service holds maxPairs pairs. */
export interface StandbyInfo {
  /** The runner that holds the pair's lock on the target, when known. */
  holder: { host: string; pid: number; since: string } | null;
  /** One line for people: `held by host:pid since ...`. */
  note: string;
}

export interface PairStatus {
  name: string;
  enabled: boolean;
  state: PairState;
  mode: 'binlog' | 'poll' | null;
  /**
   * Milliseconds the target is behind the source; a number whenever the pair streams or polls.
   * Binlog mode: source commit to target commit (0.1 ms steps), 0 when caught up.
   */
  lagMs: number | null;
  /** Binlog mode: nothing received and unapplied, and no change event for 2 s; else null. */
  caughtUp: boolean | null;
  /** Binlog mode: when the last change event arrived (ISO), null when none did since the pair started. */
  lastEventAt: string | null;
  /** Binlog mode: change events (and their binlog bytes) received but not applied yet; else null. */
  backlog: { events: number; bytes: number } | null;
  /** Binlog mode: bytes from the applied checkpoint to the source's binlog end (polled every 2 s); else null. */
  distanceBytes: number | null;
  /**
   * Binlog mode: the pair reads the binlog on a reader of its own, or on the one shared with
   * the other pairs of its source in this service (setting sharedReader); else null.
   */
  binlogReader: 'own' | 'shared' | null;
  lastError: PairErrorInfo | null;
  /** In state 'standby': who holds the pair (else null). */
  standby: StandbyInfo | null;
  nextRetryAt: string | null;
  snapshot: SnapshotProgress | null;
  position: { file?: string; pos?: number; gtid?: string } | null;
  eventsPerSec: number;
  rowsPerSec: number;
  totals: { events: number; rows: number; transactions: number };
  lastSchemaCheck: string | null;
  warnings: string[];
  /** Consecutive failed attempts since the pair last reached streaming/polling (service). */
  retryCount: number;
  /** Failures since the service started (service; Prometheus db_sync_pair_errors_total). */
  errorsTotal: number;
  /** Snapshot or reconciliation reads wait because the source is loaded: why and since when; else null. */
  throttled: { reason: string; since: string } | null;
  /** Seconds the pair's reads waited for the source (finished waits, since the service started). */
  throttledSecTotal: number;
  /** The source's InnoDB history list length while a snapshot holds its read view, else null. */
  historyListLength: number | null;
  updatedAt: string;
}

/** Stream measurements that mean nothing once the stream stopped (its received backlog is dropped). */
export const STREAM_STOPPED: Pick<PairStatus, 'caughtUp' | 'backlog' | 'distanceBytes' | 'binlogReader'> = {
  caughtUp: null, backlog: null, distanceBytes: null, binlogReader: null,
};

export function initialStatus(name: string, enabled: boolean): PairStatus {
  return {
    name, enabled, state: enabled ? 'starting' : 'disabled', mode: null, lagMs: null, caughtUp: null, lastEventAt: null,
    backlog: null, distanceBytes: null, binlogReader: null, lastError: null, standby: null, nextRetryAt: null,
    snapshot: null, position: null, eventsPerSec: 0, rowsPerSec: 0, totals: { events: 0, rows: 0, transactions: 0 },
    lastSchemaCheck: null, warnings: [], retryCount: 0, errorsTotal: 0,
    throttled: null, throttledSecTotal: 0, historyListLength: null, updatedAt: new Date().toISOString(),
  };
}

/** Pipelines report through this; the service keeps the latest object per pair. */
export interface StatusSink {
  update(patch: Partial<PairStatus>): void;
  current(): PairStatus;
}

export function createStatusSink(name: string, enabled = true, onChange?: (s: PairStatus) => void): StatusSink {
  let status = initialStatus(name, enabled);
  return {
    update(patch) {
      status = { ...status, ...patch, updatedAt: new Date().toISOString() };
      onChange?.(status);
    },
    current: () => status,
  };
}
