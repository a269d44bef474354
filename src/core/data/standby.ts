/**
 * Taking the pair's lock (runner-lock.ts) before anything is written, or standing by.
 *
 * `sync run` fails at once with PAIR_LOCKED when another runner holds the pair. A service
 * passes a StandbyPolicy instead: the pair shows `standby (held by host:pid since ...)`,
 * tries the lock again every STANDBY_RETRY_MS on the same target session, and takes the pair
 * over as soon as the server frees the lock (the holder stopped, was killed, or its session
 * was dropped). The policy's claim() caps how many pairs one service holds (maxPairs): the
 * target's lock is the only coordination between services, there is no other protocol.
 */
import type { BinarySession } from '../db/connection.js';
import type { Logger } from '../log.js';
import type { StandbyInfo, StatusSink } from '../status.js';
import { describeHolder, isHolder, pairLockedError, pairLockHolder, tryPairLock, type LockHolder,
  type RunnerInfo } from './runner-lock.js';
import { sleep } from '../sleep.js';

/** A standby tries the lock again this often (the takeover waits at most this long after the release). */
export const STANDBY_RETRY_MS = 1000;

export interface StandbyPolicy {
  /** A slot for one more held pair (its release function), or null while the service holds its maximum. */
  claim(): (() => void) | null;
  /** Why claim() said no, for the status (e.g. `this service holds maxPairs = 3 pairs`). */
  fullNote(): string;
  retryMs?: number;
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
  let shown = '';
  for (;;) {
    const release = o.standby ? o.standby.claim() : () => undefined;
    let why: StandbyInfo;
    if (release) {
      const r = await tryPairLock(session, o.targetDb, o.pairName).catch((err: unknown) => { release(); throw err; });
      if (!isHolder(r)) {
        if (shown) o.logger.info({ was: shown }, 'took the pair over: this runner holds its lock now');
        o.status.update({ standby: null });
        return { me: r, release };
      }
      release();
      if (!o.standby) throw pairLockedError(o.pairName, r);
      why = heldBy(r);
    } else {
      const h = await pairLockHolder(session, o.targetDb, o.pairName);
      why = h ? heldBy(h) : { holder: null, note: o.standby!.fullNote() };
    }
    if (why.note !== shown) o.logger.info({ standby: why.note }, 'standing by');
    shown = why.note;
    o.status.update({ state: 'standby', standby: why, nextRetryAt: null, lagMs: null, eventsPerSec: 0, rowsPerSec: 0 });
    await sleep(o.standby!.retryMs ?? STANDBY_RETRY_MS, o.signal);
    if (o.signal.aborted) return null;
  }
}

function heldBy(h: LockHolder): StandbyInfo {
  const holder = h.runner ? { host: h.runner.host, pid: h.runner.pid, since: h.runner.since } : null;
  return { holder, note: `held by ${describeHolder(h)}` };
}
