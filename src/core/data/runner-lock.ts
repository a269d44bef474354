/**
 * One runner per pair: a named lock the target server holds for the apply session
 * (GET_LOCK), so it works across processes and machines, and is released by the server the
 * moment that session ends (clean exit, kill -9, lost network: the same instant its open
 * transaction rolls back). Who holds it is recorded beside the checkpoints so a second
 * runner can say host, pid and since when.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { BinarySession } from '../db/connection.js';
import { SyncError } from '../errors.js';
import { checkpointBytes, readCheckpoint } from './checkpoint.js';

export const RUNNER_STREAM = 'runner';

export interface RunnerInfo {
  host: string;
  pid: number;
  since: string;
  connectionId: number;
}

/** GET_LOCK names are at most 64 characters: a digest of the target database and the pair. */
export function pairLockName(targetDb: string, pair: string): string {
  return `db-sync:${createHash('sha1').update(`${targetDb}\0${pair}`).digest('hex')}`;
}

export async function acquirePairLock(session: BinarySession, targetDb: string, pair: string): Promise<RunnerInfo> {
  const name = pairLockName(targetDb, pair);
  const [row] = await session.rows<{ got: number | string | null; id: number | string }>('SELECT GET_LOCK(?, 0) AS got, CONNECTION_ID() AS id', [name]);
  if (Number(row?.got) === 1) {
    const me: RunnerInfo = { host: os.hostname(), pid: process.pid, since: new Date().toISOString(), connectionId: Number(row?.id) };
    await session.send(checkpointBytes(pair, RUNNER_STREAM, me));
    return me;
  }
  const [used] = await session.rows<{ holder: number | string | null }>('SELECT IS_USED_LOCK(?) AS holder', [name]);
  const holder = Number(used?.holder ?? 0);
  const info = await readCheckpoint<RunnerInfo>(session, pair, RUNNER_STREAM).catch(() => null);
  const who = info && info.connectionId === holder
    ? `${info.host} (pid ${info.pid}) since ${info.since}`
    : `target connection ${holder || '?'} (its host and pid were not recorded)`;
  throw new SyncError('PAIR_LOCKED', `pair "${pair}" is already being synced by ${who}`, {
    hint: 'Only one runner may apply a pair. Stop the other one first (`db-sync service stop` on that host, or end its `sync run`); the lock is released as soon as its connection to the target closes.',
    details: { holder: info ?? null, connectionId: holder },
  });
}
