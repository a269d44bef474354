/**
 * Shared by the standby tests: a write load on the source, CHECKSUM TABLE comparison, and a
 * target-side audit that proves there is never more than one applier: a trigger records, for
 * every row db-sync writes, the writing connection, the connection holding the pair's lock at
 * that instant and the pid of the runner recorded beside the checkpoints.
 */
import type mysql from 'mysql2/promise';
import { pairLockName } from '../../src/core/data/runner-lock.js';
import { rows } from '../helpers/data-fixtures.js';

export const EVENTS_DDL =
  'CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY, kind VARCHAR(20) NOT NULL, payload TEXT)';

/** Small transactions (insert, update, now and then a delete) until stopped; returns how many. */
export function writeLoad(db: mysql.Connection, pauseMs = 5): { stop(): Promise<number> } {
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      n += 1;
      await db.query('BEGIN');
      await db.query('INSERT INTO events (kind, payload) VALUES (?, ?)', [`k${n % 7}`, `payload ${n}`]);
      if (n % 3 === 0) {
        await db.query('UPDATE events SET payload = CONCAT(payload, ?) WHERE id = ?', ['+', Math.max(1, n - 2)]);
      }
      if (n % 10 === 0) await db.query('DELETE FROM events WHERE id = ?', [n - 5]);
      await db.query('COMMIT');
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return { async stop() { stopped = true; await loop; return n; } };
}

export async function checksums(db: mysql.Connection, tables: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const t of tables) {
    const [r] = await rows<{ Checksum: string | number | null }>(db, `CHECKSUM TABLE \`${t}\``);
    out.push(`${t}:${r?.Checksum}`);
  }
  return out;
}

/** Resolves once CHECKSUM TABLE agrees on every table (and the tables are not empty). */
export async function waitChecksumsEqual(source: mysql.Connection, target: mysql.Connection, tables: string[],
  ms = 60_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const [a, b] = [await checksums(source, tables), await checksums(target, tables)];
    if (JSON.stringify(a) === JSON.stringify(b)) return a;
    if (Date.now() > deadline) throw new Error(`CHECKSUM TABLE differs: source ${a.join(' ')}, target ${b.join(' ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface AuditRow {
  n: number;
  conn: number;
  holder: number | null;
  pid: number | null;
}

/** Triggers on `table` in the target database; the audit rows live in a database of their own. */
export async function auditWrites(target: mysql.Connection, targetDb: string, table: string, pair: string) {
  const audit = `${targetDb}_audit`;
  const lock = pairLockName(targetDb, pair);
  await target.query(`CREATE DATABASE \`${audit}\``);
  await target.query(`CREATE TABLE \`${audit}\`.writes (n BIGINT AUTO_INCREMENT PRIMARY KEY, conn BIGINT NOT NULL,
    holder BIGINT NULL, pid BIGINT NULL)`);
  for (const [suffix, event] of [['ai', 'INSERT'], ['au', 'UPDATE'], ['ad', 'DELETE']] as const) {
    await target.query(`CREATE TRIGGER \`${table}_${suffix}\` AFTER ${event} ON \`${table}\` FOR EACH ROW
      INSERT INTO \`${audit}\`.writes (conn, holder, pid) VALUES (CONNECTION_ID(), IS_USED_LOCK(?),
        (SELECT JSON_VALUE(state, '$.pid') FROM _db_sync_checkpoint WHERE pair_name = ? AND stream = 'runner'))`,
    [lock, pair]);
  }
  return {
    async rows(): Promise<AuditRow[]> {
      const r = await rows<Record<string, string | number | null>>(target,
        `SELECT n, conn, holder, pid FROM \`${audit}\`.writes ORDER BY n`);
      return r.map((x) => ({ n: Number(x.n), conn: Number(x.conn), holder: x.holder === null ? null : Number(x.holder),
        pid: x.pid === null ? null : Number(x.pid) }));
    },
    drop: () => target.query(`DROP DATABASE IF EXISTS \`${audit}\``),
  };
}

/** Writes made by a connection that did not hold the pair's lock at that instant. */
export function foreignWrites(audit: AuditRow[]): AuditRow[] {
  return audit.filter((a) => a.holder !== a.conn);
}

/** The runner pids in the order they wrote, one entry per uninterrupted run of writes. */
export function writerSequence(audit: AuditRow[]): number[] {
  const seq: number[] = [];
  for (const a of audit) if (a.pid !== null && seq[seq.length - 1] !== a.pid) seq.push(a.pid);
  return seq;
}

export function stats(ms: number[]): { min: number; median: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
  return { min: s[0]!, median, max: s[s.length - 1]! };
}
