/**
 * Pure decisions that protect the source: whether reads must wait (throttle), whether the
 * source keeps its binlogs long enough for a pair (retention), and when the InnoDB history
 * list a long snapshot holds back deserves a warning. The SQL that feeds them is in load.ts.
 */

export interface ThrottleLimits {
  /** Wait while Threads_running is above this; 0 turns the check off. */
  maxThreadsRunning: number;
  /** Wait while a throttle replica is more than this many seconds behind. */
  maxReplicaLagSec: number;
}

export interface ReplicaSample {
  name: string;
  /** Seconds_Behind_Master; null when replication is not running. */
  lagSec: number | null;
  /** Why the replica could not be asked (unreachable, not a replica, no privilege). */
  error?: string;
}

export interface LoadSample {
  /** null when the source could not be asked (the read that follows will report why). */
  threadsRunning: number | null;
  replicas: ReplicaSample[];
}

/**
 * Why reads must wait now, or null. Like gh-ost's --max-load and --throttle-control-replicas:
 * a replica that cannot tell its lag (stopped, unreachable) throttles too, since its lag is
 * unknown and may be growing.
 */
export function throttleReason(s: LoadSample, l: ThrottleLimits): string | null {
  const reasons: string[] = [];
  const running = s.threadsRunning;
  if (l.maxThreadsRunning > 0 && running !== null && running > l.maxThreadsRunning) {
    reasons.push(`Threads_running ${running} > ${l.maxThreadsRunning}`);
  }
  for (const r of s.replicas) {
    if (r.error !== undefined) reasons.push(`replica ${r.name}: ${r.error}`);
    else if (r.lagSec === null) reasons.push(`replica ${r.name}: replication not running`);
    else if (r.lagSec > l.maxReplicaLagSec) {
      reasons.push(`replica ${r.name} lag ${r.lagSec} s > ${l.maxReplicaLagSec} s`);
    }
  }
  return reasons.length > 0 ? reasons.join(', ') : null;
}

/** binlog_expire_logs_seconds, else expire_logs_days (older servers); 0 = binlogs never expire by age. */
export function retentionSec(vars: { expireSeconds: number | null; expireDays: number | null }): number {
  if (vars.expireSeconds !== null && vars.expireSeconds > 0) return vars.expireSeconds;
  if (vars.expireDays !== null && vars.expireDays > 0) return Math.round(vars.expireDays * 86_400);
  return 0;
}

export function formatSeconds(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} days`;
}

/**
 * The snapshot starts the stream at the position of its consistent read: that binlog must
 * outlive the whole copy and the catch-up after it. Warn when the retention is less than
 * twice the estimated copy time (the catch-up of a long copy takes a while too).
 */
export function snapshotRetentionWarning(retention: number, estimatedSec: number): string | null {
  if (retention <= 0 || estimatedSec * 2 <= retention) return null;
  return `the source keeps binlogs for ${formatSeconds(retention)} (binlog_expire_logs_seconds), but a snapshot `
    + `is estimated at ${formatSeconds(estimatedSec)}: its start position may be purged before the stream `
    + `reaches it (BINLOG_PURGED); raise binlog_expire_logs_seconds to at least ${formatSeconds(estimatedSec * 2)}`;
}

export interface StoppedPairInput {
  retention: number;
  /** Binlog files on the source, oldest first. */
  files: string[];
  /** The binlog file of the pair's checkpoint. */
  checkpointFile: string;
  /** When the checkpoint last moved (ms since epoch). */
  lastMoveMs: number;
  nowMs: number;
}

export interface PurgeRisk {
  level: 'ok' | 'soon' | 'overdue' | 'purged';
  message: string;
  /** Earliest moment the checkpoint's file may expire (ISO), when it can expire. */
  purgeAt: string | null;
}

/**
 * Will the binlog a stopped pair resumes from still be there? The source purges a file once
 * it is older than the retention (at a binlog rotation); the file was written at least until
 * the pair's position in it, which the pair applied when its checkpoint last moved. Counting
 * from that moment is late by the pair's lag at that time, so the warning starts when half
 * of the retention has passed.
 */
export function stoppedPairRisk(i: StoppedPairInput): PurgeRisk {
  if (!i.files.includes(i.checkpointFile)) {
    const message = `the pair's checkpoint binlog ${i.checkpointFile} is no longer on the source (oldest: `
      + `${i.files[0] ?? 'none'}): the pair will stop with BINLOG_PURGED; \`db-sync sync run PAIR --resnapshot\``;
    return { level: 'purged', purgeAt: null, message };
  }
  const stoppedFor = formatSeconds((i.nowMs - i.lastMoveMs) / 1000);
  if (i.retention <= 0) {
    return { level: 'ok', purgeAt: null, message: `binlogs do not expire by age (stopped for ${stoppedFor})` };
  }
  if (i.files[i.files.length - 1] === i.checkpointFile) {
    return { level: 'ok', purgeAt: null, message: `checkpoint in the source's current binlog ${i.checkpointFile}` };
  }
  const purgeAtMs = i.lastMoveMs + i.retention * 1000;
  const purgeAt = new Date(purgeAtMs).toISOString();
  const remaining = (purgeAtMs - i.nowMs) / 1000;
  const oldest = i.files[0] === i.checkpointFile ? ' (the oldest binlog on the source: the next to be purged)' : '';
  const head = `pair stopped for ${stoppedFor}; its checkpoint binlog ${i.checkpointFile}${oldest}`;
  const retention = formatSeconds(i.retention);
  if (remaining <= 0) {
    const message = `${head} is older than the source's binlog retention (${retention}) and goes at the source's `
      + 'next binlog rotation; start the pair now';
    return { level: 'overdue', purgeAt, message };
  }
  if (remaining < i.retention / 2) {
    const message = `${head} may be purged from about ${purgeAt} on (in ${formatSeconds(remaining)}; retention `
      + `${retention}); start the pair before then, or raise binlog_expire_logs_seconds`;
    return { level: 'soon', purgeAt, message };
  }
  return { level: 'ok', purgeAt, message: `${head} expires at about ${purgeAt}` };
}

/** The history list grows while the snapshot's read view keeps purge from removing old row versions. */
export function historyWarning(length: number | null, threshold: number): string | null {
  if (length === null || threshold <= 0 || length <= threshold) return null;
  return `source history list length ${length} > ${threshold} while the snapshot holds its read view open: `
    + 'InnoDB cannot purge old row versions until the copy ends (reads on the source slow down); '
    + 'copy at a quieter time, or sync fewer or smaller tables per pair';
}
