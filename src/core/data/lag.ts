/**
 * Replication lag at millisecond resolution, from what the stream observes (pure; times are
 * passed in, all on the clock of `nowMs()`).
 *
 * A binlog event header carries the source's time in whole seconds: the second the statement
 * (for the GTID/XID events, the committing statement) started. The reader also knows when
 * the event arrived, and an event cannot arrive before its transaction committed. So the
 * source commit time of a transaction is estimated as
 *   min(arrival of its first event, end of its header second in local time)
 * where the header second is turned into local time with the source-vs-local clock offset
 * measured over the control connection. On a live link the arrival wins (a fraction of a
 * millisecond after the commit); when the reader is behind (catching up after a restart, or
 * paused by backpressure) the header keeps the estimate right to a second. Lag of an applied
 * transaction = its target commit time - that estimate. A statement that ran N seconds on the
 * source counts those seconds as lag, as MariaDB's Seconds_Behind_Master does.
 */

import type { ChangeEvent } from './events.js';

/** No change event for this long, nothing received and unapplied: the pair is caught up. */
export const QUIET_MS = 2000;

/** Wall-clock milliseconds with sub-millisecond resolution, monotonic between offset measurements. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Estimated local time the source committed an event's transaction (see the file comment). */
export function sourceCommitEstimate(arrivalMs: number, headerMs: number, clockOffsetMs: number): number {
  // heartbeats and the fake rotate of a new dump carry no time (0)
  if (!(headerMs > 0)) return arrivalMs;
  return Math.min(arrivalMs, headerMs - clockOffsetMs + 1000);
}

export interface ClockSample {
  /** Local time before the query was sent, and after its answer arrived. */
  before: number;
  after: number;
  /** The source's UNIX_TIMESTAMP(NOW(6)) in ms. */
  sourceMs: number;
}

/** Source clock minus local clock (ms), from the sample with the shortest round trip (error at most RTT/2). */
export function clockOffset(samples: ClockSample[]): number {
  let best: ClockSample | undefined;
  for (const s of samples) if (!best || s.after - s.before < best.after - best.before) best = s;
  return best ? best.sourceMs - (best.before + best.after) / 2 : 0;
}

export interface LagInput {
  now: number;
  /** Estimated source commit time of the oldest transaction received but not committed on the target, or null. */
  oldestPendingAt: number | null;
  /** Lag of the last transaction committed on the target (ms), or null before the first. */
  lastLagMs: number | null;
  /** When the last change event arrived, or null when none did in this run. */
  lastEventAt: number | null;
  /** Link starved: the source's binlog is ahead of what arrived, since about this time (else null). */
  behindSince: number | null;
}

export interface Lag {
  lagMs: number;
  caughtUp: boolean;
}

/**
 * The pair's lag now: the age of the oldest received-but-uncommitted transaction (grows every
 * second while the target is blocked), else of the source's unreceived changes on a starved
 * link, else the last applied transaction's lag; after QUIET_MS without events, caught up.
 */
export function pairLag(i: LagInput): Lag {
  if (i.oldestPendingAt !== null) return { lagMs: Math.max(0, i.now - i.oldestPendingAt), caughtUp: false };
  if (i.behindSince !== null) return { lagMs: Math.max(0, i.now - i.behindSince), caughtUp: false };
  const recent = i.lastEventAt !== null && i.now - i.lastEventAt < QUIET_MS;
  if (recent && i.lastLagMs !== null) return { lagMs: i.lastLagMs, caughtUp: false };
  return { lagMs: 0, caughtUp: true };
}

/** Bytes from `from` to the end of the source's binlog (SHOW BINARY LOGS); null when `from`'s file is gone. */
export function binlogDistance(files: Array<{ name: string; size: number }>,
  from: { file: string; pos: number }): number | null {
  const i = files.findIndex((f) => f.name === from.file);
  if (i < 0) return null;
  let bytes = Math.max(0, (files[i] as { size: number }).size - from.pos);
  for (const f of files.slice(i + 1)) bytes += f.size;
  return bytes;
}

type Timed = Pick<ChangeEvent, 'type' | 'timestamp' | 'receivedAt'> & { inTxn?: boolean };

/** Events that are (part of) a source transaction or statement; `position` events are not. */
function isWork(ev: Timed): boolean {
  return ev.type !== 'position';
}

/** No byte for this long while the source's binlog is ahead of what arrived: the link is starved. */
const STARVED_MS = 1000;

/**
 * What the apply loop tells about its transactions, turned into the pair's lag. The loop calls
 * `received` when an event arrives, `taken` when it starts applying one, `settled` when the
 * target holds everything taken (committed, or there was nothing to write), `sourceEnd` after
 * polling the source's binlog end.
 */
export class LagTracker {
  clockOffsetMs = 0;
  private pendingSince: number | null = null;
  private unitAt: number | null = null;
  private lastLagMs: number | null = null;
  private lastEventAt: number | null = null;
  private behindSince: number | null = null;
  private notAheadAt: number | null = null;

  estimate(ev: Timed): number {
    return sourceCommitEstimate(ev.receivedAt, ev.timestamp, this.clockOffsetMs);
  }

  received(ev: Timed): void {
    if (isWork(ev)) this.lastEventAt = ev.receivedAt;
  }

  taken(ev: Timed): void {
    if (!isWork(ev)) return;
    const at = this.estimate(ev);
    this.pendingSince ??= at;
    // a transaction's lag counts from its first event (the GTID/BEGIN event), a statement's from itself
    if (ev.type === 'begin' || (ev.type === 'query' && !ev.inTxn)) this.unitAt = at;
  }

  settled(at: number): void {
    if (this.pendingSince === null) return;
    this.lastLagMs = Math.max(0, at - (this.unitAt ?? this.pendingSince));
    this.pendingSince = null;
  }

  /**
   * The source's binlog end was read between `sent` and `answered`; `ahead` when it is past what
   * had arrived by then. Nothing arriving for STARVED_MS while it is ahead: the changes not received
   * were committed after the last poll that found nothing missing, and after the last byte.
   */
  sourceEnd(sent: number, answered: number, ahead: boolean, lastBytesAt: number): void {
    if (!ahead) {
      this.notAheadAt = sent;
      this.behindSince = null;
    } else if (answered - lastBytesAt >= STARVED_MS) {
      this.behindSince ??= Math.max(lastBytesAt, this.notAheadAt ?? lastBytesAt);
    } else {
      this.behindSince = null;
    }
  }

  /** The lag now; `queued` is the oldest received event the loop has not taken yet. */
  lag(now: number, queued: Timed | undefined): Lag & { lastEventAt: number | null } {
    const oldest = this.pendingSince ?? (queued && isWork(queued) ? this.estimate(queued) : null);
    return {
      ...pairLag({
        now, oldestPendingAt: oldest, lastLagMs: this.lastLagMs, lastEventAt: this.lastEventAt,
        behindSince: this.behindSince,
      }),
      lastEventAt: this.lastEventAt,
    };
  }
}
