/**
 * The database interface every module above core/db works with (after kysely's small
 * driver interfaces). connection.ts implements it over mysql2, the only driver; errors are
 * SyncErrors (db-errors.ts) that name the connection's real endpoint.
 */
import type { Endpoint } from './db-errors.js';

/** The OK packet of a statement that returns no rows. */
export interface ExecResult {
  affectedRows: number;
  insertId: number;
  warningStatus: number;
  info: string;
}

/** Anything rows can be read from: a connection (Db) or a binary session. */
export interface Queryable {
  /** Where the connection goes: error messages name it. */
  readonly endpoint: Endpoint;
  /** The statement's rows as objects keyed by column name. */
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Db extends Queryable {
  /** A statement that returns no rows: its affected rows and insert id. */
  exec(sql: string, params?: unknown[]): Promise<ExecResult>;
  /** The statement's rows as arrays in column order (snapshot chunks). */
  arrays(sql: string, params?: unknown[]): Promise<unknown[][]>;
  /** The rows as arrays, one at a time, without buffering the result; consume or break out. */
  stream(sql: string, params?: unknown[]): AsyncGenerator<unknown[]>;
  /** `fn` inside START TRANSACTION ... COMMIT; rolled back when it throws. */
  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** COM_PING. */
  ping(): Promise<void>;
  /**
   * Close without throwing. With `withinMs`, give up waiting for the server after that long
   * and destroy the socket (a half-open link never answers COM_QUIT).
   */
  close(withinMs?: number): Promise<void>;
}
