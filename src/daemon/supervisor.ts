/**
 * Runs one sync pair for the service and keeps it running: each pair has its own async loop
 * and AbortController, so one pair's failure, retry wait or slow table never stalls another.
 * Failures move the pair to 'retrying' (retryable: fast retries, then exponential backoff)
 * or 'error' (not retryable: slow retry); the status keeps the last error. The supervisor
 * is generic over the runner so orchestration can be tested without databases.
 */
import type { Config } from '../core/config/schema.js';
import { SyncError, toSyncError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { STREAM_STOPPED, type PairStatus, type StatusSink } from '../core/status.js';
import { pairContext, type PairContext, type RunPairOptions, type StandbyPolicy } from '../core/pair/sync-pair.js';
import { DEFAULT_LIMITS, isRetryable, retryDelayMs, type RetryLimits } from '../core/retry.js';
import { sleep } from '../core/sleep.js';

export type PairRunner = (ctx: PairContext, options: RunPairOptions) => Promise<void>;

export interface SupervisorOptions {
  name: string;
  /** The current config, read at each attempt (a changed definition restarts the supervisor). */
  config: () => Config;
  runPair: PairRunner;
  logger: Logger;
  status: StatusSink;
  /** Current retry settings (read at each failure, so live settings changes apply). */
  retrySettings: () => Config['settings'];
  limits?: Partial<RetryLimits>;
  /** Wait as a standby while another runner holds the pair (and share maxPairs slots). */
  standby?: StandbyPolicy;
}

export class PairSupervisor {
  private readonly stopper = new AbortController();
  private runController: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private failures = 0;

  constructor(private readonly options: SupervisorOptions) {}

  get name(): string {
    return this.options.name;
  }

  start(): void {
    if (this.loop) return;
    // Never rejects: every failure is turned into a status.
    this.loop = this.run().catch((err) => {
      this.options.logger.error({ err: toSyncError(err).toJSON() }, 'supervisor loop failed');
    });
  }

  /** Abort the pair and wait until its run has returned (transaction finished or rolled back). */
  async stop(): Promise<void> {
    this.stopper.abort(new Error('stopping'));
    this.runController?.abort(new Error('stopping'));
    await this.loop;
  }

  /** Resolves when the loop has ended (after stop()). */
  done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const { status, logger } = this.options;
    while (!this.stopper.signal.aborted) {
      status.update({ state: 'starting', nextRetryAt: null });
      const outcome = await this.attempt();
      if (this.stopper.signal.aborted) break;
      const delay = this.recordFailure(outcome);
      await sleep(delay, this.stopper.signal);
    }
    status.update({ ...STREAM_STOPPED, state: 'stopped', nextRetryAt: null, eventsPerSec: 0, rowsPerSec: 0 });
    logger.info('pair stopped');
  }

  /** One runPair call; returns what ended it (a thrown error, or an unexpected return). */
  private async attempt(): Promise<unknown> {
    const ac = new AbortController();
    this.runController = ac;
    const { config, name, logger, status } = this.options;
    try {
      const ctx = pairContext(config(), name, { logger, signal: ac.signal, status: this.trackingSink(status) });
      await this.options.runPair(ctx, { once: false, standby: this.options.standby });
      return ac.signal.aborted ? null : toSyncErrorReturned();
    } catch (err) {
      return err;
    } finally {
      this.runController = null;
    }
  }

  private recordFailure(err: unknown): number {
    const { status, logger } = this.options;
    const e = toSyncError(err);
    const retryable = isRetryable(err);
    this.failures += 1;
    const limits = { ...DEFAULT_LIMITS, ...this.options.limits };
    const delay = retryDelayMs(this.failures, retryable, this.options.retrySettings(), limits);
    const nextRetryAt = new Date(Date.now() + delay).toISOString();
    const prev = status.current();
    status.update({
      state: retryable ? 'retrying' : 'error', nextRetryAt, retryCount: this.failures,
      errorsTotal: prev.errorsTotal + 1,
      lastError: {
        code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), at: new Date().toISOString(),
      },
      eventsPerSec: 0, rowsPerSec: 0, ...STREAM_STOPPED,
    });
    const log = retryable ? logger.warn.bind(logger) : logger.error.bind(logger);
    log({ code: e.code, err: e.message, retryable, attempt: this.failures, retryInMs: delay },
      retryable ? 'pair failed; retrying' : 'pair failed; will try again later');
    return delay;
  }

  /** Resets the failure count once the pair is healthy (streaming, polling, standby); counts engine-side retries. */
  private trackingSink(sink: StatusSink): StatusSink {
    return {
      update: (patch: Partial<PairStatus>) => {
        // The data step retries connection losses itself; count those failures too.
        if (patch.state === 'retrying') {
          sink.update({ ...patch, errorsTotal: sink.current().errorsTotal + 1 });
          return;
        }
        const healthy = patch.state === 'streaming' || patch.state === 'polling' || patch.state === 'standby';
        if (healthy && this.failures > 0) {
          this.failures = 0;
          sink.update({ ...patch, retryCount: 0, nextRetryAt: null });
          return;
        }
        sink.update(patch);
      },
      current: () => sink.current(),
    };
  }
}

function toSyncErrorReturned(): SyncError {
  return new SyncError('PAIR_EXITED', 'the pair stopped on its own without being asked to', {
    retryable: true, hint: 'The service starts it again; if this repeats, see logs/error.log.',
  });
}

