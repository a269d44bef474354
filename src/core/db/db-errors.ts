import { SyncError, toSyncError } from '../errors.js';

/** Where a connection was going, for messages that name it. */
export interface Endpoint {
  name?: string;
  host: string;
  port: number;
  user: string;
  database?: string;
}

interface DriverError {
  code?: string;
  errno?: number;
  sqlMessage?: string;
  message?: string;
  fatal?: boolean;
}

const RETRYABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR',
  'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_QUERY_INTERRUPTED', 'ER_CONNECTION_KILLED',
  'ER_CLIENT_INTERACTION_TIMEOUT', 'ER_NET_READ_INTERRUPTED', 'ER_NET_READ_ERROR',
]);

/** The driver's fields of an error, raw or already mapped (a SyncError keeps the raw one as its cause). */
function driverError(err: unknown): DriverError {
  let raw = err;
  while (raw instanceof SyncError && raw.cause !== undefined) raw = raw.cause;
  return (raw ?? {}) as DriverError;
}

/** The server's own message (without the endpoint prefix a mapped error adds). */
export function serverMessage(err: unknown): string {
  const e = driverError(err);
  return e.sqlMessage ?? e.message ?? String(err);
}

/** The server's error number (ER_* errno), raw or mapped. */
export function dbErrno(err: unknown): number | undefined {
  return driverError(err).errno;
}

/**
 * The one "try again" rule for database errors: a mapped error's own flag, or a lost or
 * refused connection, a deadlock, a lock wait timeout, a server going away (RETRYABLE_CODES).
 */
export function isRetryableDbError(err: unknown): boolean {
  if (err instanceof SyncError) return err.retryable;
  const e = driverError(err);
  return RETRYABLE_CODES.has(e.code ?? '') || e.fatal === true;
}

/** ER_DUP_ENTRY (1062): a unique or primary key value already taken. */
export function isDuplicateKey(err: unknown): boolean {
  const e = driverError(err);
  return e.errno === 1062 || e.code === 'ER_DUP_ENTRY';
}

/** ER_NO_SUCH_TABLE (1146). */
export function isMissingTable(err: unknown): boolean {
  const e = driverError(err);
  return e.errno === 1146 || e.code === 'ER_NO_SUCH_TABLE';
}

/** ER_TABLE_DEF_CHANGED (1412): the table was created or rebuilt after the consistent read began. */
export function isTableDefChanged(err: unknown): boolean {
  return dbErrno(err) === 1412;
}

/** A table (ER_NO_SUCH_TABLE, 1146) or column (ER_BAD_FIELD_ERROR, 1054) that is not there. */
export function isMissingObject(err: unknown): boolean {
  const e = driverError(err);
  return isMissingTable(err) || e.errno === 1054 || e.code === 'ER_BAD_FIELD_ERROR';
}

/**
 * An error that escaped every connection's mapping (no endpoint to name): a lost
 * connection when the driver's fields say so, else INTERNAL (a bug, not the database).
 */
export function escapedError(err: unknown): SyncError {
  if (err instanceof SyncError) return err;
  if (!isRetryableDbError(err)) return toSyncError(err);
  return new SyncError('DB_CONNECTION_LOST', serverMessage(err), {
    hint: 'The connection will be retried; check the server if this persists.', retryable: true, cause: err,
  });
}

function where(ep: Endpoint): string {
  return `${ep.name ? `connection "${ep.name}" (` : ''}${ep.user}@${ep.host}:${ep.port}${ep.name ? ')' : ''}`;
}

/**
 * Map a mysql2 / network error to a SyncError with a stable code and the fix.
 * Codes follow the server's error names (ER_*) or Node's (E*), never message text.
 */
export function mapDbError(err: unknown, ep: Endpoint): SyncError {
  if (err instanceof SyncError) return err;
  const e = (err ?? {}) as DriverError;
  const code = e.code ?? '';
  const msg = e.sqlMessage ?? e.message ?? String(err);
  const at = where(ep);
  switch (code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return new SyncError('DB_ACCESS_DENIED', `${at}: access denied for user "${ep.user}" (wrong user or password)`, {
        hint: 'Check the user name and password (or the environment variable named by --password-env), '
          + 'and that the user may connect from this host.',
        cause: err,
      });
    case 'ER_DBACCESS_DENIED_ERROR':
      return new SyncError('DB_ACCESS_DENIED',
        `${at}: user "${ep.user}" may not access database "${ep.database ?? ''}"`, {
        hint: `GRANT SELECT (source) or ALL (target) ON \`${ep.database ?? ''}\`.* TO the user.`,
        cause: err,
      });
    case 'ER_BAD_DB_ERROR':
      return new SyncError('DB_UNKNOWN_DATABASE', `${at}: unknown database "${ep.database ?? ''}"`, {
        hint: 'Create the database first, or fix the --database value of the connection.',
        cause: err,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SyncError('DB_HOST_NOT_FOUND', `${at}: host "${ep.host}" could not be resolved`, {
        hint: 'Check the host name (DNS) or use an IP address.',
        retryable: code === 'EAI_AGAIN',
        cause: err,
      });
    case 'ECONNREFUSED':
      return new SyncError('DB_CONNECTION_REFUSED', `${at}: connection refused on port ${ep.port}`, {
        hint: 'Is the server running and listening on that port? Check --port and the server\'s bind-address.',
        retryable: true,
        cause: err,
      });
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new SyncError('DB_TIMEOUT', `${at}: could not reach the server (${code})`, {
        hint: 'Check the host, the port and any firewall between here and the server.',
        retryable: true,
        cause: err,
      });
    case 'HANDSHAKE_SSL_ERROR':
    case 'HANDSHAKE_NO_SSL_SUPPORT':
      return new SyncError('DB_TLS', `${at}: TLS failed: ${msg}`, {
        hint: 'Check --ssl-mode and --ssl-ca, or whether the server supports TLS.',
        cause: err,
      });
    default: {
      const retryable = isRetryableDbError(err);
      return new SyncError(retryable ? 'DB_CONNECTION_LOST' : 'DB_ERROR', `${at}: ${msg}${code ? ` (${code})` : ''}`, {
        hint: retryable ? 'The connection will be retried; check the server if this persists.' : undefined,
        retryable,
        cause: err,
        details: { dbCode: code, errno: e.errno },
      });
    }
  }
}
