/**
 * The only module that imports mysql2. Every connection db-sync opens is made here, with
 * the options that keep values lossless (see docs/architecture.md, "type fidelity").
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import mysql from 'mysql2/promise';
import type { Connection, ConnectionOptions, RowDataPacket } from 'mysql2/promise';
import type { ConnectionConfig } from '../config/schema.js';
import { SyncError } from '../errors.js';
import { mapDbError, type Endpoint } from './db-errors.js';
import type { Db, ExecResult } from './db.js';

export type { Db, Queryable, ExecResult } from './db.js';
export type { Endpoint };

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
      const what = `connection "${conn.name}": environment variable ${conn.passwordEnv} is not set`;
      throw new SyncError('PASSWORD_ENV_MISSING', what, {
        hint: `export ${conn.passwordEnv}=... in the environment that runs db-sync `
          + '(the password is never stored on disk).',
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
  if (ssl.mode === 'verify-ca') {
    return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } as ConnectionOptions['ssl'];
  }
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
    // no caller stack captured for every query (Error.captureStackTrace, async frames included):
    // 6.6 % of the process's CPU at 1,000 txn/s. A failed query still carries its server error
    // (code, errno, message), which is what db-sync reports (db-errors.ts).
    trace: false,
  };
}

/** A mysql2 connection, errors mapped, time zone UTC. */
async function connect(conn: ConnectionConfig, opts: OpenOptions): Promise<{ raw: Connection; endpoint: Endpoint }> {
  const options = driverOptions(conn, opts);
  const endpoint = { ...endpointOf(conn), database: options.database };
  try {
    const raw = await mysql.createConnection(options);
    // Sessions work in UTC so TIMESTAMP values never shift with a server's or our time zone.
    await raw.query("SET time_zone = '+00:00'");
    return { raw, endpoint };
  } catch (err) {
    throw mapDbError(err, endpoint);
  }
}

export async function openConnection(conn: ConnectionConfig, opts: OpenOptions = {}): Promise<Db> {
  const { raw, endpoint } = await connect(conn, opts);
  return new MysqlDb(raw, endpoint);
}

/** The callback connection under mysql2's promise wrapper: the one that can stream a result. */
interface StreamingConnection {
  query(o: object): { stream(o: object): AsyncIterable<unknown> };
}

/** The Db interface over one mysql2 connection. */
class MysqlDb implements Db {
  constructor(private readonly raw: Connection, readonly endpoint: Endpoint) {}

  async rows<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      const [rows] = await this.raw.query<RowDataPacket[]>(sql, params);
      return rows as unknown as T[];
    } catch (err) {
      throw mapDbError(err, this.endpoint);
    }
  }

  async arrays(sql: string, params: unknown[] = []): Promise<unknown[][]> {
    try {
      const [rows] = await this.raw.query({ sql, values: params, rowsAsArray: true });
      return rows as unknown as unknown[][];
    } catch (err) {
      throw mapDbError(err, this.endpoint);
    }
  }

  async exec(sql: string, params: unknown[] = []): Promise<ExecResult> {
    try {
      const [res] = await this.raw.query(sql, params);
      return execResult(res);
    } catch (err) {
      throw mapDbError(err, this.endpoint);
    }
  }

  /**
   * The rows as arrays without buffering the whole result (keyless-table snapshot copies).
   * The caller must consume or break out of the iterator.
   */
  async* stream(sql: string, params: unknown[] = []): AsyncGenerator<unknown[]> {
    const core = (this.raw as unknown as { connection: StreamingConnection }).connection;
    const stream = core.query({ sql, values: params, rowsAsArray: true }).stream({ highWaterMark: 2000 });
    try {
      for await (const row of stream) yield row as unknown[];
    } catch (err) {
      throw mapDbError(err, this.endpoint);
    }
  }

  async transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    await this.exec('START TRANSACTION');
    try {
      const out = await fn(this);
      await this.exec('COMMIT');
      return out;
    } catch (err) {
      // The first error is the one to report; a rollback on a lost connection fails too,
      // and the server rolls back a connection's open transaction when it goes.
      await this.exec('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async ping(): Promise<void> {
    try {
      await this.raw.ping();
    } catch (err) {
      throw mapDbError(err, this.endpoint);
    }
  }

  close(withinMs?: number): Promise<void> {
    return withinMs === undefined ? endQuietly(this.raw) : endWithin(this.raw, withinMs);
  }
}

async function endQuietly(raw: Connection): Promise<void> {
  try {
    await raw.end();
  } catch {
    // the connection may already be gone; nothing to do
  }
}

/**
 * Close, but give up after `ms` and destroy the socket: a half-open link (stalled network)
 * never answers COM_QUIT, and a retry must not wait for it forever.
 */
async function endWithin(raw: Connection, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = await Promise.race([
    endQuietly(raw).then(() => false),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), ms); }),
  ]);
  clearTimeout(timer);
  if (gaveUp) raw.destroy();
}

function execResult(res: unknown): ExecResult {
  const r = (isOk(res) ? res : {}) as
    { affectedRows?: number; insertId?: number; warningStatus?: number; info?: string };
  return {
    affectedRows: Number(r.affectedRows ?? 0), insertId: Number(r.insertId ?? 0),
    warningStatus: Number(r.warningStatus ?? 0), info: String(r.info ?? ''),
  };
}

export { mapDbError };

/**
 * Run SQL text (may be several statements) whose LOAD DATA LOCAL INFILE reads `data`
 * instead of a file: the driver streams the buffer when the server asks for the "file".
 * Returns the result of each statement (an array when several ran).
 */
const INFILE_PACKET_BYTES = 1 << 20;

async function queryWithInfile(db: Connection, sql: string, data: Buffer): Promise<unknown> {
  // The driver sends each chunk as one packet: an empty chunk would read as end-of-file
  // (the sequence then breaks), and packets stay far below the 16 MB protocol limit.
  const slices: Buffer[] = [];
  for (let at = 0; at < data.length; at += INFILE_PACKET_BYTES) {
    slices.push(data.subarray(at, at + INFILE_PACKET_BYTES));
  }
  const options = { sql, infileStreamFactory: () => Readable.from(slices) };
  const [res] = await db.query(options as Parameters<Connection['query']>[0]);
  return res;
}

/**
 * A session whose statement text is bytes (connection charset `binary`): what is built as
 * a Buffer reaches the server byte for byte. Plain SQL strings are sent as their UTF-8
 * bytes. Results come back decoded (character_set_results = utf8mb4).
 */
export class BinarySession {
  private constructor(private readonly db: Connection, readonly endpoint: Endpoint) {}

  static async open(conn: ConnectionConfig, opts: Omit<OpenOptions, 'binary'> = {}): Promise<BinarySession> {
    const { raw, endpoint } = await connect(conn, { ...opts, binary: true, multipleStatements: true });
    const session = new BinarySession(raw, endpoint);
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
    return (list as unknown[]).map(execResult);
  }

  /** LOAD DATA LOCAL INFILE reading `data` (see queryWithInfile). */
  async infile(sql: string, data: Buffer): Promise<ExecResult> {
    try {
      return execResult(await queryWithInfile(this.db, Buffer.from(sql, 'utf8').toString('latin1'), data));
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

  close(ms = 2000): Promise<void> {
    return endWithin(this.db, ms);
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
