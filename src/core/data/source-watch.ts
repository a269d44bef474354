/**
 * What the apply loop asks the source about, beside the stream, for lag and distance: the
 * source's clock (offset to ours, measured at connect and every minute so the two clocks
 * cannot drift apart) and its binlog end (SHOW BINARY LOGS, at most every 2 s; the grant it
 * needs, BINLOG MONITOR / REPLICATION CLIENT, is already required). Never throws: a failed
 * poll leaves the last values and is tried again at the next tick (the stall watchdog deals
 * with a source that stopped answering).
 */
import type { Logger } from '../log.js';
import { comparePositions, type BinlogPosition } from './events.js';
import { withTimeout } from '../sleep.js';
import { binlogDistance, clockOffset, nowMs, type ClockSample, type LagTracker } from './lag.js';

export interface SourceWatchOptions {
  files: () => Promise<Array<{ name: string; size: number }>>;
  clock: () => Promise<ClockSample[]>;
  tracker: LagTracker;
  logger: Logger;
  /** A poll brought new values (publish them now rather than at the next tick). */
  onUpdate: () => void;
}

/** What the stream has applied and received, and when its last byte arrived. */
export interface StreamState {
  applied: () => BinlogPosition;
  received: () => BinlogPosition | null;
  lastBytesAt: () => number;
}

const POLL_MS = 2000;
const CLOCK_MS = 60_000;
const CLOCK_WAIT_MS = 5000;

export class SourceWatch {
  /** Bytes from the applied checkpoint to the source's binlog end at the last poll, null before one. */
  distanceBytes: number | null = null;
  private busy = false;
  private polledAt = 0;
  private clockAt = 0;

  constructor(private readonly opts: SourceWatchOptions) {}

  /** At most CLOCK_WAIT_MS: a source that does not answer must not hold up the stream (its watchdog acts). */
  async measureClock(): Promise<void> {
    try {
      const samples = await withTimeout(this.opts.clock(), CLOCK_WAIT_MS, () => new Error('no answer'));
      this.opts.tracker.clockOffsetMs = clockOffset(samples);
      this.opts.logger.debug({ clockOffsetMs: this.opts.tracker.clockOffsetMs }, 'source clock offset measured');
    } catch (err) {
      const msg = 'cannot read the source clock; the lag estimate keeps the last offset';
      this.opts.logger.debug({ err: (err as Error).message }, msg);
    }
    this.clockAt = nowMs();
  }

  /** Start a poll unless one runs or the last was less than POLL_MS ago. */
  poll(state: StreamState): void {
    if (this.busy || nowMs() - this.polledAt < POLL_MS) return;
    this.busy = true;
    this.polledAt = nowMs();
    void this.pollOnce(state).finally(() => { this.busy = false; });
  }

  private async pollOnce(state: StreamState): Promise<void> {
    try {
      const sent = nowMs();
      const files = await this.opts.files();
      const answered = nowMs();
      const end = files.at(-1);
      const received = state.received();
      const ahead = !!end && !!received && comparePositions({ file: end.name, pos: end.size }, received) > 0;
      this.opts.tracker.sourceEnd(sent, answered, ahead, state.lastBytesAt());
      this.distanceBytes = binlogDistance(files, state.applied());
      this.opts.onUpdate();
    } catch (err) {
      this.opts.logger.debug({ err: (err as Error).message },
        'cannot read the source binlog end; distance not updated');
    }
    if (nowMs() - this.clockAt >= CLOCK_MS) await this.measureClock();
  }
}
