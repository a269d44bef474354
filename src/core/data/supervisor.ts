/**
 * Retries a long-running run on retryable errors: `maxRetries` attempts `retryDelay` apart,
 * then exponential backoff (capped at 5 min) that continues in the background while the
 * pair shows the error. `--once` runs give up after maxRetries. Each attempt resumes from
 * the last applied checkpoint (the run reads it again).
 */
import { escapedError } from '../db/db-errors.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { STREAM_STOPPED, type StatusSink } from '../status.js';
import { retryDelayMs } from '../retry.js';
import { sleep } from '../sleep.js';

export interface SuperviseOptions {
  maxRetries: number;
  retryDelay: number;
  once: boolean;
  signal: AbortSignal;
  status: StatusSink;
  logger: Logger;
}

/** A run that lasted this long counts as healthy: the retry budget starts over. */
const HEALTHY_RUN_MS = 60_000;

export async function supervise(run: () => Promise<void>, o: SuperviseOptions): Promise<void> {
  let attempt = 0;
  for (;;) {
    const started = Date.now();
    try {
      await run();
      return;
    } catch (raw) {
      const err = escapedError(raw);
      if (!err.retryable || o.signal.aborted) throw err;
      attempt = Date.now() - started > HEALTHY_RUN_MS ? 1 : attempt + 1;
      if (o.once && attempt > o.maxRetries) throw err;
      const delay = retryDelayMs(attempt, true, o);
      const at = new Date().toISOString();
      o.logger.warn(
        { code: err.code, err: err.message, attempt, delayMs: delay },
        'data sync failed; retrying from the last checkpoint',
      );
      o.status.update({
        ...STREAM_STOPPED, state: 'retrying', nextRetryAt: new Date(Date.now() + delay).toISOString(),
        lastError: { code: err.code, message: err.message, hint: err.hint, at },
      });
      await sleep(delay, o.signal);
      if (o.signal.aborted) return;
    }
  }
}
