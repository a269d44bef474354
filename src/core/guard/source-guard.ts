/**
 * Makes bulk reads (snapshot chunks, verify and reconciliation checksums) wait while the
 * source is loaded, in the spirit of gh-ost's --max-load and --throttle-control-replicas.
 * The callers ask `gate()` between chunks, never inside one. A gate costs at most one
 * `SHOW GLOBAL STATUS` per interval (1 s): the last answer is reused in between. While the
 * source is over a limit the gate re-checks every interval, and returns by itself once the
 * load is back under it (or on abort).
 */
import type { Config, ConnectionConfig, SyncPairConfig } from '../config/schema.js';
import { openConnection, type Db } from '../db/connection.js';
import type { Logger } from '../log.js';
import type { StatusSink } from '../status.js';
import {
  historyWarning, snapshotRetentionWarning, throttleReason, type ReplicaSample, type ThrottleLimits,
} from './decide.js';
import { binlogRetention, historyListLength, replicaLagSec, threadsRunning } from './load.js';
import { sleep } from '../sleep.js';

export interface ThrottleState {
  reason: string;
  since: string;
}

export interface GuardSettings {
  limits: ThrottleLimits;
  /** Replicas of the source whose lag throttles too (gh-ost's --throttle-control-replicas). */
  replicas: ConnectionConfig[];
  /** History list length above which a snapshot warns (0: never). */
  historyWarn: number;
  /** Reads start waiting (state), the reason changes, or they resume (null, with the time waited). */
  onThrottle?: (state: ThrottleState | null, waitedMs: number) => void;
  /** The history list length while a snapshot runs (null when it ends), with a warning above historyWarn. */
  onHistory?: (length: number | null, warning: string | null) => void;
  /** How often a snapshot samples the history list length (default 10 s). */
  historyIntervalMs?: number;
}

const INTERVAL_MS = 1000;

/** The guard settings of a pair, from the config (settings + the pair's throttleReplicas). */
export function guardSettings(config: Config, pair: SyncPairConfig): GuardSettings {
  const s = config.settings;
  return {
    limits: { maxThreadsRunning: s.throttleThreadsRunning, maxReplicaLagSec: s.throttleReplicaLag },
    replicas: pair.throttleReplicas.flatMap((n) => config.connections.filter((c) => c.name === n)),
    historyWarn: s.historyListWarn,
  };
}

const HISTORY_WARNING = 'source history list length';

/**
 * A pair's status: `throttled` while reads wait (waits summed in throttledSecTotal), and
 * `historyListLength` with its warning while a snapshot runs.
 */
export function reportTo(sink: StatusSink): Pick<GuardSettings, 'onThrottle' | 'onHistory'> {
  return {
    onThrottle: (state, waitedMs) => {
      if (state) sink.update({ throttled: state });
      else sink.update({ throttled: null, throttledSecTotal: sink.current().throttledSecTotal + waitedMs / 1000 });
    },
    onHistory: (length, warning) => {
      const others = sink.current().warnings.filter((w) => !w.startsWith(HISTORY_WARNING));
      sink.update({ historyListLength: length, warnings: warning ? [...others, warning] : others });
    },
  };
}

export class SourceGuard {
  private sampledAt = 0;
  private reason: string | null = null;
  private readonly replicaDbs = new Map<string, Db>();
  private retention: number | null = null;
  private retentionWarned = false;

  constructor(private readonly db: Db, readonly settings: GuardSettings, private readonly logger: Logger,
    private readonly signal?: AbortSignal, private readonly intervalMs = INTERVAL_MS) {}

  private get active(): boolean {
    return this.settings.limits.maxThreadsRunning > 0 || this.settings.replicas.length > 0;
  }

  /** Returns at once when the source is under its limits; otherwise waits until it is (or abort). */
  async gate(): Promise<void> {
    if (!this.active) return;
    let reason = await this.check();
    if (!reason) return;
    const started = Date.now();
    const since = new Date(started).toISOString();
    this.logger.warn({ reason }, 'source busy: bulk reads wait');
    this.settings.onThrottle?.({ reason, since }, 0);
    try {
      while (reason && !this.signal?.aborted) {
        await sleep(this.intervalMs, this.signal);
        const next = await this.check();
        if (next && next !== reason) this.settings.onThrottle?.({ reason: next, since }, Date.now() - started);
        reason = next;
      }
    } finally {
      const waitedMs = Date.now() - started;
      if (!reason) this.logger.info({ waitedMs }, 'source load back under the limits: bulk reads resume');
      this.settings.onThrottle?.(null, waitedMs);
    }
  }

  private async check(): Promise<string | null> {
    if (Date.now() - this.sampledAt < this.intervalMs) return this.reason;
    const running = this.settings.limits.maxThreadsRunning > 0 ? await threadsRunning(this.db) : null;
    const replicas = await Promise.all(this.settings.replicas.map((r) => this.replica(r)));
    this.sampledAt = Date.now();
    this.reason = throttleReason({ threadsRunning: running, replicas }, this.settings.limits);
    return this.reason;
  }

  private async replica(conn: ConnectionConfig): Promise<ReplicaSample> {
    try {
      let db = this.replicaDbs.get(conn.name);
      if (!db) {
        db = await openConnection(conn, { connectTimeoutMs: 3000, database: null });
        this.replicaDbs.set(conn.name, db);
      }
      return { name: conn.name, lagSec: await replicaLagSec(db) };
    } catch (err) {
      const db = this.replicaDbs.get(conn.name);
      this.replicaDbs.delete(conn.name);
      await db?.close();
      return { name: conn.name, lagSec: null, error: (err as Error).message };
    }
  }

  /** Sample the history list length every historyIntervalMs until the returned stop() (a snapshot's read view). */
  watchHistory(): () => void {
    const { historyWarn, onHistory } = this.settings;
    if (!onHistory) return () => undefined;
    let warned = false;
    const sample = async () => {
      // a sample that fails is skipped; the guard samples again
      const length = await historyListLength(this.db).catch(() => null);
      const warning = historyWarning(length, historyWarn);
      if (warning && !warned) this.logger.warn({ historyListLength: length, threshold: historyWarn }, warning);
      warned ||= !!warning;
      if (!stopped) onHistory(length, warning);
    };
    let stopped = false;
    void sample();
    const timer = setInterval(() => void sample(), this.settings.historyIntervalMs ?? 10_000);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
      onHistory(null, null);
    };
  }

  /** Once per guard: the warning when the source's binlog retention is short for a snapshot needing `neededSec`. */
  async snapshotWarning(neededSec: number): Promise<string | null> {
    if (this.retentionWarned) return null;
    // retention unknown (no privilege): treated as 0, i.e. no warning
    this.retention ??= (await binlogRetention(this.db).catch(() => null))?.retention ?? 0;
    const warning = snapshotRetentionWarning(this.retention, neededSec);
    this.retentionWarned = !!warning;
    return warning;
  }

  async close(): Promise<void> {
    await Promise.all([...this.replicaDbs.values()].map((d) => d?.close()));
    this.replicaDbs.clear();
  }
}

