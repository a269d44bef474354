/**
 * One runner per pair: a named lock the target server holds for the apply session
 * (GET_LOCK), so it works across processes and machines, and is released by the server the
 * moment that session ends (clean exit, kill -9, lost network: the same instant its open
 * transaction rolls back). Who holds it is recorded beside the checkpoints so a second
 * runner can say host, pid and since when.
 *
 * A lost network must end the session too, within a bound: the session gets short
 * wait_timeout / net_read_timeout / net_write_timeout, so the server drops a holder it no
 * longer hears from, and the holder pings it while idle. The holder watches its own lock
 * from a second connection and gives the session up (destroys the socket) when the lock is
 * gone or the target stops answering; a new session must take the lock again before it
 * writes anything (standby.ts).
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { ConnectionConfig } from '../config/schema.js';
import { openConnection, type BinarySession, type Db } from '../db/connection.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { checkpointBytes, readCheckpoint, type WriteFence } from './checkpoint.js';

export const RUNNER_STREAM = 'runner';

/** Seconds the target waits on a silent runner session before it ends it (freeing the lock). */
export const HOLD_TIMEOUT_S = 5;
/** How often the holder pings its session and checks its lock from the watch connection. */
const WATCH_EVERY_MS = 1000;
/**
 * The holder gives its session up after this much silence from the target. Safety does not
 * depend on it (a session the server dropped applies nothing, and the standby waits for the
 * server, not for us); it is long enough that a slow moment of a busy host is no failover.
 */
const GIVE_UP_MS = 3 * HOLD_TIMEOUT_S * 1000;

export interface RunnerInfo {
  host: string;
  pid: number;
  since: string;
  connectionId: number;
}

/** Who holds a lock we did not get: the recorded runner when it matches the holding connection. */
export interface LockHolder {
  connectionId: number;
  runner: RunnerInfo | null;
}

/** GET_LOCK names are at most 64 characters: a digest of the target database and the pair. */
export function pairLockName(targetDb: string, pair: string): string {
  return `db-sync:${createHash('sha1').update(`${targetDb}\0${pair}`).digest('hex')}`;
}

/** The session settings that let the server end a silent holder's session within HOLD_TIMEOUT_S. */
export async function boundSessionTimeouts(session: BinarySession): Promise<void> {
  const s = HOLD_TIMEOUT_S;
  await session.run(`SET SESSION wait_timeout = ${s}, SESSION net_read_timeout = ${s}, `
    + `SESSION net_write_timeout = ${s}`);
}

/**
 * One attempt, waiting up to `waitS` seconds for a holder to let go: our connection id when
 * we got the lock, or who holds it.
 */
export async function tryPairLock(session: BinarySession, targetDb: string, pair: string,
  waitS = 0): Promise<{ connectionId: number } | LockHolder> {
  const name = pairLockName(targetDb, pair);
  // evaluated left to right: IS_USED_LOCK names the holder after GET_LOCK gave up
  type Row = { got: number | string | null; id: number | string; holder: number | string | null };
  const [row] = await session.rows<Row>(
    'SELECT GET_LOCK(?, ?) AS got, CONNECTION_ID() AS id, IS_USED_LOCK(?) AS holder', [name, waitS, name]);
  if (Number(row?.got) === 1) return { connectionId: Number(row?.id) };
  return holderOf(session, pair, Number(row?.holder ?? 0));
}

/** Write who holds the pair beside the checkpoints (host, pid, since, connection id). */
export async function recordRunner(session: BinarySession, pair: string, connectionId: number): Promise<RunnerInfo> {
  const me: RunnerInfo = { host: os.hostname(), pid: process.pid, since: new Date().toISOString(), connectionId };
  await session.send(checkpointBytes(pair, RUNNER_STREAM, me));
  return me;
}

export async function releasePairLock(session: BinarySession, targetDb: string, pair: string): Promise<void> {
  await session.run('DO RELEASE_LOCK(?)', [pairLockName(targetDb, pair)]);
}

/** Who holds the pair's lock now, or null when it is free. */
export async function pairLockHolder(session: BinarySession, targetDb: string,
  pair: string): Promise<LockHolder | null> {
  const [row] = await session.rows<{ holder: number | string | null }>('SELECT IS_USED_LOCK(?) AS holder',
    [pairLockName(targetDb, pair)]);
  const id = Number(row?.holder ?? 0);
  return id ? holderOf(session, pair, id) : null;
}

async function holderOf(session: BinarySession, pair: string, connectionId: number): Promise<LockHolder> {
  // no checkpoint table yet, or unreadable: the holder is then named by its connection id only
  const info = await readCheckpoint<RunnerInfo>(session, pair, RUNNER_STREAM).catch(() => null);
  return { connectionId, runner: info && info.connectionId === connectionId ? info : null };
}

export function isHolder(r: { connectionId: number } | LockHolder): r is LockHolder {
  return 'runner' in r;
}

/** `host:pid since ...`, or the bare connection id when the holder did not record itself. */
export function describeHolder(h: LockHolder): string {
  return h.runner
    ? `${h.runner.host}:${h.runner.pid} since ${h.runner.since}`
    : `target connection ${h.connectionId || '?'} (host and pid not recorded)`;
}

export function pairLockedError(pair: string, h: LockHolder): SyncError {
  const who = h.runner ? `${h.runner.host} (pid ${h.runner.pid}) since ${h.runner.since}` : describeHolder(h);
  return new SyncError('PAIR_LOCKED', `pair "${pair}" is already being synced by ${who}`, {
    hint: 'Only one runner may apply a pair. Stop the other one first (`db-sync service stop` on that host, '
      + 'or end its `sync run`); the lock is released as soon as its connection to the target closes. '
      + 'A service waits as a standby instead.',
    details: { holder: h.runner, connectionId: h.connectionId },
  });
}

/** PAIR_LOCK_LOST: `why` says what showed it (the lock watch, or a fenced write refused). */
export function pairLockLostError(pair: string, why: string): SyncError {
  return new SyncError('PAIR_LOCK_LOST', `this runner no longer holds pair "${pair}" on the target: ${why}`, {
    retryable: true,
    hint: 'Nothing more is applied through the old session, and no snapshot chunk commits. The pair connects '
      + 'again, takes the lock if it is free, or stands by while another runner holds it. Check the network to '
      + 'the target if this repeats.',
  });
}

/**
 * Throws PAIR_LOCK_LOST unless the fence's holder still holds the pair's lock: a check before
 * a statement that cannot be fenced inside a transaction (DDL on a connection other than the
 * lock's). It leaves one round trip between the check and the statement, where a chunk's
 * fence leaves none (checkpointBytes).
 */
export async function checkFence(db: Db, fence: WriteFence, pair: string, what: string): Promise<void> {
  const [row] = await db.rows<{ held: number | string | null }>('SELECT IS_USED_LOCK(?) <=> ? AS held',
    [fence.lock, fence.holder]);
  if (Number(row?.held) !== 1) throw pairLockLostError(pair, `${what} was not run (the lock is free or taken)`);
}

/** The holder's side of the lock while it runs: keep the session alive, notice when the lock is gone. */
export interface LockWatch {
  /** Aborts when the lock is lost; the session is already destroyed by then. */
  readonly signal: AbortSignal;
  /** Why the lock was lost (PAIR_LOCK_LOST), or null. */
  lost(): SyncError | null;
  stop(): Promise<void>;
}

export function watchPairLock(session: BinarySession, target: ConnectionConfig, me: RunnerInfo, pair: string,
  logger: Logger): LockWatch {
  const name = pairLockName(target.database, pair);
  const ac = new AbortController();
  let lostErr: SyncError | null = null;
  let watch: Db | null = null;
  let pinging = false;
  let checking = false;
  let stopped = false;
  let lastGood = Date.now();
  const drop = (conn: Db | null) => { if (conn) void conn?.close(0); };
  const lose = (why: string) => {
    if (lostErr) return;
    lostErr = pairLockLostError(pair, why);
    logger.warn({ why }, 'lost the pair\'s lock: applying stopped');
    session.destroy(`lock lost: ${why}`);
    clearInterval(timer);
    drop(watch);
    watch = null;
    ac.abort(lostErr);
  };
  const check = async () => {
    checking = true;
    try {
      const conn = watch ?? await openConnection(target, { database: null, connectTimeoutMs: HOLD_TIMEOUT_S * 1000 });
      watch = stopped || lostErr ? null : conn;
      if (!watch) return drop(conn);
      const [row] = await conn.rows<{ holder: number | string | null }>('SELECT IS_USED_LOCK(?) AS holder',
        [name]);
      if (Number(row?.holder ?? 0) !== me.connectionId) {
        return lose('the target ended its session (the lock is free or taken)');
      }
      lastGood = Date.now();
    } catch {
      // a failed check is not a lost lock: the next tick tries on a new watch connection
      drop(watch);
      watch = null;
    } finally {
      checking = false;
    }
  };
  const tick = () => {
    if (!pinging) {
      pinging = true;
      // a keep-alive only: a dead session shows in the next check, which acts on it
      session.ping().catch(() => undefined).finally(() => { pinging = false; });
    }
    if (!checking) void check();
    if (Date.now() - lastGood > GIVE_UP_MS) {
      lose(`the target has not answered for ${GIVE_UP_MS / 1000} s `
        + `(its server drops a silent session after ${HOLD_TIMEOUT_S} s)`);
    }
  };
  const timer = setInterval(tick, WATCH_EVERY_MS);
  return {
    signal: ac.signal,
    lost: () => lostErr,
    async stop() {
      stopped = true;
      clearInterval(timer);
      const w = watch;
      watch = null;
      if (w) await w?.close(500);
    },
  };
}
