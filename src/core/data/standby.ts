/**
 * Taking the pair's lock (runner-lock.ts) before anything is written, or standing by.
 *
 * `sync run` fails at once with PAIR_LOCKED when another runner holds the pair. A service
 * passes a StandbyPolicy instead: the pair shows `standby (held by host:pid since ...)` and
 * waits inside GET_LOCK on its target session, so the server hands it the lock the instant
 * the holder lets go (stopped, killed, or its session dropped). The policy caps how many
 * pairs one service holds (maxPairs): a service without room does not wait for locks at all,
 * and the target's lock stays the only coordination between services.
 */
import type { ConnectionConfig } from '../config/schema.js';
import { BinarySession } from '../db/connection.js';
import type { Logger } from '../log.js';
import type { StandbyInfo, StatusSink } from '../status.js';
import { ensureCheckpointTable, type WriteFence } from './checkpoint.js';
import { boundSessionTimeouts, describeHolder, isHolder, pairLockedError, pairLockHolder, pairLockName, recordRunner,
  releasePairLock, tryPairLock, watchPairLock, type LockHolder, type LockWatch, type RunnerInfo,
} from './runner-lock.js';
import { sleep } from '../sleep.js';

/**
 * A standby waits this long inside GET_LOCK per attempt: the server hands it the lock the
 * instant the holder lets go (a stop, or a session that ended), and a stop waits at most this.
 */
export const STANDBY_WAIT_S = 1;
/** A service that holds its maximum of pairs looks again this often. */
export const STANDBY_RETRY_MS = 1000;

export interface StandbyPolicy {
  /** Whether claim() would give a slot now (the service holds fewer than maxPairs pairs). */
  hasRoom(): boolean;
  /** A slot for one more held pair (its release function), or null while the service holds its maximum. */
  claim(): (() => void) | null;
  /** Why there is no room, for the status (e.g. `this service holds maxPairs = 3 pairs`). */
  fullNote(): string;
}

export interface TakenLock {
  me: RunnerInfo;
  /** Gives the policy's slot back; call once the session (and so the lock) is closed. */
  release: () => void;
}

export interface TakeLockOptions {
  pairName: string;
  targetDb: string;
  standby?: StandbyPolicy;
  status: StatusSink;
  logger: Logger;
  signal: AbortSignal;
}

/** The lock, or null when `signal` aborted while standing by. Without a policy, PAIR_LOCKED at once. */
export async function takePairLock(session: BinarySession, o: TakeLockOptions): Promise<TakenLock | null> {
  const policy = o.standby;
  let shown = '';
  for (;;) {
    let why: StandbyInfo | null = null;
    if (!policy || policy.hasRoom()) {
      const r = await tryPairLock(session, o.targetDb, o.pairName, policy ? STANDBY_WAIT_S : 0);
      if (isHolder(r)) {
        if (!policy) throw pairLockedError(o.pairName, r);
        why = heldBy(r);
      } else {
        const release = policy ? policy.claim() : () => undefined;
        if (release) return taken(session, o, r.connectionId, release, shown);
        // another pair of this service took the last slot meanwhile: let go without writing anything
        await releasePairLock(session, o.targetDb, o.pairName);
      }
    }
    // no room in this service: say who holds the pair, and look again later
    const full = !why;
    if (!why) {
      const h = await pairLockHolder(session, o.targetDb, o.pairName);
      why = h ? heldBy(h) : { holder: null, note: policy!.fullNote() };
    }
    if (why.note !== shown) o.logger.info({ standby: why.note }, 'standing by');
    shown = why.note;
    o.status.update({ state: 'standby', standby: why, nextRetryAt: null, lagMs: null, eventsPerSec: 0,
      rowsPerSec: 0 });
    if (full) await sleep(STANDBY_RETRY_MS, o.signal);
    if (o.signal.aborted) return null;
  }
}

async function taken(session: BinarySession, o: TakeLockOptions, connectionId: number, release: () => void,
  was: string): Promise<TakenLock> {
  try {
    const me = await recordRunner(session, o.pairName, connectionId);
    if (was) o.logger.info({ was }, 'took the pair over: this runner holds its lock now');
    o.status.update({ standby: null });
    return { me, release };
  } catch (err) {
    release();
    throw err;
  }
}

function heldBy(h: LockHolder): StandbyInfo {
  const holder = h.runner ? { host: h.runner.host, pid: h.runner.pid, since: h.runner.since } : null;
  return { holder, note: `held by ${describeHolder(h)}` };
}

export interface PairLockOptions extends Omit<TakeLockOptions, 'targetDb'> {
  target: ConnectionConfig;
  /** Session settings before the lock is taken (the binlog engine applies through this session). */
  prepare?: (session: BinarySession) => Promise<void>;
}

/**
 * Runs `fn` while this runner holds the pair's lock on a new target session (or stands by
 * first, see takePairLock; returns without running it when `signal` aborts meanwhile). The
 * session is watched (watchPairLock): losing the lock aborts the signal `fn` gets, and the
 * run then fails with PAIR_LOCK_LOST (retryable), also when `fn` failed because of it.
 */
export async function withPairLock(o: PairLockOptions,
  fn: (session: BinarySession, signal: AbortSignal, fence: WriteFence) => Promise<void>): Promise<void> {
  const session = await BinarySession.open(o.target);
  let lock: TakenLock | null = null;
  let watch: LockWatch | null = null;
  try {
    await o.prepare?.(session);
    await boundSessionTimeouts(session);
    await ensureCheckpointTable(session);
    lock = await takePairLock(session, { ...o, targetDb: o.target.database });
    if (!lock) return;
    watch = watchPairLock(session, o.target, lock.me, o.pairName, o.logger);
    // writes from other sessions of this runner commit only while `session` holds the lock
    const fence = { lock: pairLockName(o.target.database, o.pairName), holder: lock.me.connectionId };
    await fn(session, AbortSignal.any([o.signal, watch.signal]), fence);
  } catch (err) {
    throw watch?.lost() ?? err;
  } finally {
    await watch?.stop();
    await session.close();
    lock?.release();
  }
  const lost = watch?.lost();
  if (lost) throw lost;
}
