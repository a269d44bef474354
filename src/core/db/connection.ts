/**
 * The only module that imports mysql2. Every connection db-sync opens is made here, with
 * the options that keep values lossless (see docs/architecture.md, "type fidelity").
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import mysql from 'mysql2/promise';
import type { Connection, Pool, PoolOptions, ConnectionOptions, RowDataPacket, FieldPacket } from 'mysql2/promise';
import type { ConnectionConfig } from '../config/schema.js';
import { SyncError } from '../errors.js';
import { mapDbError, type Endpoint } from './db-errors.js';

export type Db = Connection;
/** Anything queryRows() can read from. */
export type Queryable = Db | BinarySession;
export type DbPool = Pool;
export type Row = RowDataPacket;
export type { FieldPacket };

export interface OpenOptions {
  /** Override the connection's database (e.g. information_schema work); null = none. */
  database?: string | null;
  connectTimeoutMs?: number;
  multipleStatements?: boolean;
  /** Return rows as arrays (fast path for snapshot streaming). */
  rowsAsArray?: boolean;
  /**
   * A binary-charset session (BinarySession): statement text travels as the exact bytes it
   * is built from, so values of any character set reach the server unchanged.
   */
  binary?: boolean;
  env?: NodeJS.ProcessEnv;
}

export function endpointOf(conn: ConnectionConfig): Endpoint {
  return { name: conn.name, host: conn.host, port: conn.port, user: conn.user, database: conn.database };
}

/** The password for a connection: stored value, or read from the named environment variable now. */
export function resolvePassword(conn: ConnectionConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (conn.passwordEnv !== undefined) {
    const value = env[conn.passwordEnv];
    if (value === undefined) {
      throw new SyncError('PASSWORD_ENV_MISSING', `connection "${conn.name}": environment variable ${conn.passwordEnv} is not set`, {
        hint: `export ${conn.passwordEnv}=... in the environment that runs db-sync (the password is never stored on disk).`,
      });
    }
    return value;
  }
  return conn.password;
}

function sslOptions(conn: ConnectionConfig): ConnectionOptions['ssl'] {
  const ssl = conn.ssl;
  if (!ssl || ssl.mode === 'disabled') return undefined;
  const ca = ssl.ca ? readFileSync(ssl.ca, 'utf8') : undefined;
  if (ssl.mode === 'required') return { rejectUnauthorized: false, ...(ca ? { ca } : {}) };
  if (ssl.mode === 'verify-ca') return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } as ConnectionOptions['ssl'];
  return { ca, rejectUnauthorized: true };
}

/**
 * Driver options for lossless values: BIGINT/DECIMAL as exact strings, dates as strings
 * (µs and zero dates kept), JSON as text (MariaDB's JSON alias would be re-parsed and lose
 * big integers), geometry as raw SRID+WKB buffers, UTC session.
 */
export function driverOptions(conn: ConnectionConfig, opts: OpenOptions = {}): ConnectionOptions {
  return {
    host: conn.host,
    port: conn.port,
    user: conn.user,
    password: resolvePassword(conn, opts.env),
    database: opts.database === null ? undefined : (opts.database ?? conn.database),
    charset: opts.binary ? 'BINARY' : 'utf8mb4_general_ci',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    decimalNumbers: false,
    jsonStrings: true,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    multipleStatements: opts.multipleStatements ?? false,
    rowsAsArray: opts.rowsAsArray ?? false,
    enableKeepAlive: true,
    ssl: sslOptions(conn),
    typeCast: (field, next) => (field.type === 'GEOMETRY' ? field.buffer() : next()),
  };
}

export async function openConnection(conn: ConnectionConfig, opts: OpenOptions = {}): Promise<Db> {
  const options = driverOptions(conn, opts);
  try {
    const db = await mysql.createConnection(options);
    // Sessions work in UTC so TIMESTAMP values never shift with a server's or our time zone.
    await db.query("SET time_zone = '+00:00'");
    return db;
  } catch (err) {
    throw mapDbError(err, { ...endpointOf(conn), database: options.database });
  }
}

export function openPool(conn: ConnectionConfig, opts: OpenOptions & { connectionLimit?: number } = {}): DbPool {
  const options: PoolOptions = { ...driverOptions(conn, opts), connectionLimit: opts.connectionLimit ?? 4, waitForConnections: true };
  const pool = mysql.createPool(options);
  pool.on('connection', (c) => {
    c.query("SET time_zone = '+00:00'");
  });
  return pool;
}

/** Run a query and return its rows typed loosely; errors are mapped to SyncError. */
export async function queryRows<T = Record<string, unknown>>(db: Db | DbPool | BinarySession, sql: string, params: unknown[] = [], ep?: Endpoint): Promise<T[]> {
  if (db instanceof BinarySession) return db.rows<T>(sql, params);
  try {
    const [rows] = await db.query<RowDataPacket[]>(sql, params);
    return rows as unknown as T[];
  } catch (err) {
    throw mapDbError(err, ep ?? { host: '?', port: 0, user: '?' });
  }
}

/** Close without throwing (used in finally blocks and shutdown). */
export async function closeQuietly(db: Db | DbPool | undefined): Promise<void> {
  if (!db) return;
  try {
    await db.end();
  } catch {
    // the connection may already be gone; nothing to do
  }
}

/**
 * Close, but give up after `ms` and destroy the socket: a half-open link (stalled network)
 * never answers COM_QUIT, and a retry must not wait for it forever.
 */
export async function closeWithin(db: Db | undefined, ms = 2000): Promise<void> {
  if (!db) return;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = await Promise.race([
    closeQuietly(db).then(() => false),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), ms); }),
  ]);
  clearTimeout(timer);
  if (gaveUp) (db as unknown as { destroy?: () => void }).destroy?.();
}

/** Escape a value for the rare places that need a literal (mysql2's own escaping). */
export function escapeValue(value: unknown): string {
  return mysql.escape(value as Parameters<typeof mysql.escape>[0]);
}

export { mapDbError };

/**
 * Stream a query's rows as arrays without buffering the whole result (keyless-table
 * snapshot copies). The caller must consume or break out of the iterator.
 */
export async function* streamRows(db: Db, sql: string, params: unknown[] = []): AsyncGenerator<unknown[]> {
  const raw = (db as unknown as { connection: { query(o: object): { stream(o: object): AsyncIterable<unknown> } } }).connection;
  const stream = raw.query({ sql, values: params, rowsAsArray: true }).stream({ highWaterMark: 2000 });
  try {
    for await (const row of stream) yield row as unknown[];
  } catch (err) {
    throw mapDbError(err, { host: '?', port: 0, user: '?' });
  }
}

/** Run a query returning rows as arrays (snapshot chunks). */
export async function queryArrays(db: Db, sql: string, params: unknown[] = []): Promise<unknown[][]> {
  try {
    const [rows] = await db.query({ sql, values: params, rowsAsArray: true });
    return rows as unknown as unknown[][];
  } catch (err) {
    throw mapDbError(err, { host: '?', port: 0, user: '?' });
  }
}

/**
 * Run SQL text (may be several statements) whose LOAD DATA LOCAL INFILE reads `data`
 * instead of a file: the driver streams the buffer when the server asks for the "file".
 * Returns the result of each statement (an array when several ran).
 */
const INFILE_PACKET_BYTES = 1 << 20;

export async function queryWithInfile(db: Db, sql: string, data: Buffer): Promise<unknown> {
  // The driver sends each chunk as one packet: an empty chunk would read as end-of-file
  // (the sequence then breaks), and packets stay far below the 16 MB protocol limit.
  const slices: Buffer[] = [];
  for (let at = 0; at < data.length; at += INFILE_PACKET_BYTES) slices.push(data.subarray(at, at + INFILE_PACKET_BYTES));
  const [res] = await db.query({ sql, infileStreamFactory: () => Readable.from(slices) } as Parameters<Db['query']>[0]);
  return res;
}

/** Result of one statement (OK packet) or rows. */
export interface ExecResult {
  affectedRows: number;
  warningStatus: number;
  info: string;
}

/**
 * A session whose statement text is bytes (connection charset `binary`): what is built as
 * a Buffer reaches the server byte for byte. Plain SQL strings are sent as their UTF-8
 * bytes. Results come back decoded (character_set_results = utf8mb4).
 */
export class BinarySession {
  private constructor(readonly db: Db, readonly endpoint: Endpoint) {}

  static async open(conn: ConnectionConfig, opts: Omit<OpenOptions, 'binary'> = {}): Promise<BinarySession> {
    const db = await openConnection(conn, { ...opts, binary: true, multipleStatements: true });
    const session = new BinarySession(db, endpointOf(conn));
    await session.run('SET SESSION character_set_results = utf8mb4');
    return session;
  }

  /** Format `sql` with `params` (mysql2 escaping) and send it as UTF-8 bytes. */
  async run(sql: string, params: unknown[] = []): Promise<unknown> {
    const text = params.length ? mysql.format(sql, params as never[]) : sql;
    return this.send(Buffer.from(text, 'utf8'));
  }

  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.run(sql, params)) as T[];
  }

  /** Send statement bytes (several statements joined by ';' are allowed). */
  async send(bytes: Buffer): Promise<unknown> {
    try {
      const [res] = await this.db.query(bytes.toString('latin1'));
      return res;
    } catch (err) {
      throw mapDbError(recodeMessage(err), this.endpoint);
    }
  }

  /** Like send(), the result of each statement as {affectedRows, warningStatus, info}. */
  async exec(bytes: Buffer): Promise<ExecResult[]> {
    const res = await this.send(bytes);
    const list = Array.isArray(res) && (res.length === 0 || !Array.isArray(res[0]) && isOk(res[0])) ? res : [res];
    return (list as unknown[]).map((r) => (isOk(r) ? { affectedRows: Number(r.affectedRows ?? 0),
      warningStatus: Number(r.warningStatus ?? 0), info: String(r.info ?? '') } : { affectedRows: 0, warningStatus: 0, info: '' }));
  }

  /** LOAD DATA LOCAL INFILE reading `data` (see queryWithInfile). */
  async infile(sql: string, data: Buffer): Promise<ExecResult> {
    try {
      const res = await queryWithInfile(this.db, Buffer.from(sql, 'utf8').toString('latin1'), data) as Record<string, unknown>;
      return { affectedRows: Number(res.affectedRows ?? 0), warningStatus: Number(res.warningStatus ?? 0), info: String(res.info ?? '') };
    } catch (err) {
      throw mapDbError(recodeMessage(err), this.endpoint);
    }
  }

  /** COM_PING (queued behind a command in flight, like any command): keeps an idle session alive. */
  async ping(): Promise<void> {
    await this.db.ping();
  }

  /**
   * Drop the socket now: the command in flight and every later one fail at once
   * (PROTOCOL_CONNECTION_LOST); nothing more reaches the server on this session. (The
   * driver's own destroy() only ends the stream and leaves a pending command waiting forever.)
   */
  destroy(reason: string): void {
    const conn = (this.db as unknown as { connection: { stream?: { destroy(err?: Error): void } } }).connection;
    conn.stream?.destroy(Object.assign(new Error(reason), { code: 'PROTOCOL_CONNECTION_LOST' }));
  }

  close(ms?: number): Promise<void> {
    return closeWithin(this.db, ms);
  }
}

function isOk(r: unknown): r is { affectedRows?: number; warningStatus?: number; info?: string } {
  return !!r && typeof r === 'object' && !Array.isArray(r) && 'affectedRows' in r;
}

/** Server messages arrive in utf8mb4 but the binary session decodes them byte-wise: undo that. */
function recodeMessage(err: unknown): unknown {
  const e = err as { sqlMessage?: string; message?: string };
  if (e && typeof e.sqlMessage === 'string') {
    const fixed = Buffer.from(e.sqlMessage, 'latin1').toString('utf8');
    if (!fixed.includes('\uFFFD')) {
      if (typeof e.message === 'string') e.message = e.message.replace(e.sqlMessage, fixed);
      e.sqlMessage = fixed;
    }
  }
  return err;
}
