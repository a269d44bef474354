/**
 * One error type for the whole core. `code` is stable (documented in docs/errors.md),
 * `hint` tells the operator how to fix it, `retryable` drives the supervisor's retry
 * decisions (never match on message text).
 */
/** Every error code db-sync reports; each is documented in docs/errors.md (a unit test checks both ways). */
export const ERROR_CODES = [
  'CONFIG_MALFORMED',
  'CONFIG_INVALID',
  'CONFIG_UNREADABLE',
  'MISSING_FLAGS',
  'INVALID_INPUT',
  'DUPLICATE_NAME',
  'CONNECTION_NOT_FOUND',
  'PAIR_NOT_FOUND',
  'CONNECTION_IN_USE',
  'SOURCE_IS_TARGET',
  'INVALID_GLOB',
  'PASSWORD_ENV_MISSING',
  'DB_ACCESS_DENIED',
  'DB_UNKNOWN_DATABASE',
  'DB_HOST_NOT_FOUND',
  'DB_CONNECTION_REFUSED',
  'DB_TIMEOUT',
  'DB_TLS',
  'DB_CONNECTION_LOST',
  'DB_ERROR',
  'SCHEMA_APPLY_FAILED',
  'SCHEMA_NO_PRIVILEGE',
  'SCHEMA_UNSUPPORTED',
  'VERIFY_UNKNOWN_TABLE',
  'VERIFY_HASH_UNAVAILABLE',
  'POLL_TIMESTAMP_COLUMN',
  'BINLOG_NOT_USABLE',
  'BINLOG_PURGED',
  'SOURCE_CHANGED',
  'SNAPSHOT_STATE_INVALID',
  'SNAPSHOT_POSITION_UNSETTLED',
  'BINLOG_STREAM_LOST',
  'SHARED_READER_OVERFLOW',
  'ZONGJI_UNPATCHED',
  'BINLOG_STREAM_STALLED',
  'TARGET_TABLE_MISSING',
  'SEQUENCE_NOT_SYNCED',
  'TARGET_ROW_MISSING',
  'TARGET_UNIQUE_CONFLICT',
  'ROW_REJECTED',
  'PAIR_LOCKED',
  'TARGET_SCHEMA_MISMATCH',
  'BINLOG_ROW_IMAGE_PARTIAL',
  'BINLOG_STATEMENT_DML',
  'STATEMENT_UNSUPPORTED',
  'XA_UNSUPPORTED',
  'BINLOG_SEQUENCE',
  'BINLOG_DECODE',
  'DDL_REPLAY_FAILED',
  'SOURCE_DATABASE_DROPPED',
  'FK_CASCADE_OUT_OF_SCOPE',
  'ROW_TOO_LARGE',
  'SNAPSHOT_LOAD_REJECTED',
  'SERVICE_RUNNING',
  'SERVICE_START_FAILED',
  'SERVICE_START_TIMEOUT',
  'SERVICE_STOP_TIMEOUT',
  'METRICS_PORT',
  'PID_FILE',
  'PAIR_EXITED',
  'MARIADB_NOT_FOUND',
  'NPM_FLAG_VALUES',
  'LOGS_NOT_FOUND',
  'CONFIRMATION_REQUIRED',
  'CUTOVER_UNSUPPORTED',
  'CUTOVER_PAIR_ERROR',
  'CUTOVER_NO_CHECKPOINT',
  'CUTOVER_NO_BINLOG',
  'CUTOVER_FREEZE_DENIED',
  'CUTOVER_SOURCE_WRITES',
  'CUTOVER_LAG_TIMEOUT',
  'CUTOVER_NOT_EQUAL',
  'CUTOVER_ABORTED',
  'CUTOVER_PAIR_STILL_RUNNING',
  'BINLOG_DISABLED',
  'POLL_RECONCILE_FAILED',
  'INTERNAL',
  'SOURCE_MISSING_GTIDS',
  'SOURCE_DIVERGED',
  'PAIR_LOCK_LOST',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface SyncErrorOptions {
  hint?: string;
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class SyncError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: SyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SyncError';
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }

  /** Message plus hint, the way the CLI prints it. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, retryable: this.retryable, ...this.details };
  }
}

export function isSyncError(err: unknown): err is SyncError {
  return err instanceof SyncError;
}

/** Wrap anything thrown into a SyncError, keeping SyncErrors as they are. */
export function toSyncError(err: unknown, code: ErrorCode = 'INTERNAL'): SyncError {
  if (err instanceof SyncError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SyncError(code, message, { cause: err });
}
