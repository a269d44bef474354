/**
 * Pure retry decisions, one policy for the service's supervisor and the data stream's: which
 * failures are retried fast, and how long to wait before the next attempt. Decisions use
 * SyncError.retryable only (never message text); a raw socket error that escaped mapping
 * counts as a lost connection.
 */
import { isRetryableDbError } from './db/db-errors.js';

export interface RetrySettings {
  /** Fast retries at `retryDelay` before exponential backoff starts. */
  maxRetries: number;
  retryDelay: number;
}

export interface RetryLimits {
  /** Backoff never waits longer than this. */
  backoffCapMs: number;
  /** Non-retryable errors are tried again this often (a fix may have been made outside). */
  errorRetryMs: number;
}

export const DEFAULT_LIMITS: RetryLimits = { backoffCapMs: 300_000, errorRetryMs: 60_000 };

/** The one retry predicate (db/db-errors.ts), for callers above core/db. */
export const isRetryable = isRetryableDbError;

/**
 * Wait before attempt number `failures + 1` (failures >= 1 counts consecutive failures).
 * Retryable: `retryDelay` for the first `maxRetries` failures, then doubling up to the cap.
 * Not retryable: the slow error interval.
 */
export function retryDelayMs(failures: number, retryable: boolean, settings: RetrySettings,
  limits: RetryLimits = DEFAULT_LIMITS): number {
  if (!retryable) return limits.errorRetryMs;
  if (failures <= settings.maxRetries) return settings.retryDelay;
  // Backoff starts from at least 1 s so retryDelay 0 cannot become a busy loop.
  const base = Math.max(settings.retryDelay, 1000);
  const exp = Math.min(failures - settings.maxRetries, 20);
  return Math.min(limits.backoffCapMs, base * 2 ** exp);
}
