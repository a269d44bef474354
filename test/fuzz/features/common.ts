/** What every workload feature provides, and small SQL helpers shared by them. */
import type mysql from 'mysql2/promise';
import type { Rng } from '../prng.js';

export type Conn = mysql.Connection;

export const FEATURE_NAMES = ['txn', 'fk', 'unique', 'keyless', 'types', 'big', 'ddl', 'myisam', 'objects', 'mix'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export interface OpResult {
  /** Source transactions committed (a DDL statement counts as one). */
  txns: number;
  ddl: number;
}

/** One operation: statements on a source connection; throwing is fine (rolled back, counted). */
export type Op = (c: Conn, r: Rng) => Promise<OpResult | void>;

export interface Feature {
  name: FeatureName;
  /** Tables and initial rows, created on the source before the workload starts. */
  setup(c: Conn, r: Rng): Promise<void>;
  /** Weighted operations of the concurrent DML workers. */
  ops: Array<[number, Op]>;
  /** Weighted operations of the one serial worker (DDL, huge rows): slower, never concurrent with each other. */
  serialOps?: Array<[number, Op]>;
  /** After the workers stopped: stop what writes on its own (the event scheduler). */
  quiesce?(c: Conn): Promise<void>;
}

export async function q(c: Conn, sql: string, params: unknown[] = []): Promise<unknown> {
  const [res] = await c.query(sql, params);
  return res;
}

export async function rows<T>(c: Conn, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await q(c, sql, params)) as T[];
}

/** START TRANSACTION; body; COMMIT (or ROLLBACK when the body throws, then rethrow). */
export async function txn(c: Conn, body: () => Promise<void>): Promise<OpResult> {
  await q(c, 'START TRANSACTION');
  try {
    await body();
    await q(c, 'COMMIT');
  } catch (err) {
    await q(c, 'ROLLBACK').catch(() => undefined);
    throw err;
  }
  return { txns: 1, ddl: 0 };
}

export const ONE: OpResult = { txns: 1, ddl: 0 };
export const DDL: OpResult = { txns: 0, ddl: 1 };

/** A hex literal of bytes (X'' for none). */
export function hex(b: Buffer): string {
  return `X'${b.toString('hex')}'`;
}

/** A UTF-8 literal of any text (4-byte characters included), independent of the connection charset. */
export function utf8(s: string): string {
  return `_utf8mb4 ${hex(Buffer.from(s, 'utf8'))}`;
}

/** Insert `n` rows produced by `row(i)` (SQL tuples) in one statement. */
export async function insertMany(c: Conn, table: string, cols: string, n: number,
  row: (i: number) => string): Promise<void> {
  for (let at = 0; at < n; at += 500) {
    const tuples = Array.from({ length: Math.min(500, n - at) }, (_, k) => row(at + k));
    await q(c, `INSERT INTO ${table} (${cols}) VALUES ${tuples.join(',')}`);
  }
}
