import { describe, it, expect } from 'vitest';
import {
  binlogDistance, clockOffset, LagTracker, pairLag, QUIET_MS, sourceCommitEstimate,
} from '../../src/core/data/lag.js';
import type { ChangeEvent } from '../../src/core/data/events.js';

const T = 1_767_268_800_000; // 2026-01-01T12:00:00Z, a whole second

/** A binlog event: header second of source time `sourceMs`, received at `receivedAt`. */
function ev(type: ChangeEvent['type'], sourceMs: number, receivedAt: number, inTxn?: boolean) {
  const timestamp = Math.floor(sourceMs / 1000) * 1000;
  return { type, timestamp, receivedAt, ...(inTxn === undefined ? {} : { inTxn }) };
}

describe('source commit estimate', () => {
  it('takes the arrival on a live link: a change cannot arrive before its commit', () => {
    // committed at T+400.3, header says T, arrived 0.2 ms later
    expect(sourceCommitEstimate(T + 400.5, T, 0)).toBe(T + 400.5);
  });

  it('takes the end of the header second when the event arrived late (reader behind)', () => {
    expect(sourceCommitEstimate(T + 30_000, T, 0)).toBe(T + 1000);
  });

  it('turns the header second into local time with the clock offset', () => {
    // source clock 5 s ahead of ours: its second T is our T-5000
    expect(sourceCommitEstimate(T + 30_000, T, 5000)).toBe(T - 4000);
    expect(sourceCommitEstimate(T + 30_000, T, -250)).toBe(T + 1250);
  });

  it('ignores a header without time (heartbeat, fake rotate)', () => {
    expect(sourceCommitEstimate(T, 0, 0)).toBe(T);
  });

  it('measures the clock offset from the sample with the shortest round trip', () => {
    expect(clockOffset([
      { before: 1000, after: 1100, sourceMs: 6090 }, // rtt 100
      { before: 2000, after: 2004, sourceMs: 7012 }, // rtt 4: offset 7012 - 2002
      { before: 3000, after: 3050, sourceMs: 8000 },
    ])).toBe(5010);
    expect(clockOffset([])).toBe(0);
  });
});

describe('pair lag', () => {
  const base = { now: T, oldestPendingAt: null, lastLagMs: null, lastEventAt: null, behindSince: null };

  it('is the age of the oldest received, uncommitted transaction', () => {
    expect(pairLag({ ...base, oldestPendingAt: T - 1234.5, lastLagMs: 3 }))
      .toEqual({ lagMs: 1234.5, caughtUp: false });
  });

  it('is the last applied transaction lag while events keep coming', () => {
    expect(pairLag({ ...base, lastLagMs: 2.7, lastEventAt: T - QUIET_MS + 1 }))
      .toEqual({ lagMs: 2.7, caughtUp: false });
  });

  it('is caught up after QUIET_MS without events, or before the first', () => {
    expect(pairLag({ ...base, lastLagMs: 2.7, lastEventAt: T - QUIET_MS })).toEqual({ lagMs: 0, caughtUp: true });
    expect(pairLag(base)).toEqual({ lagMs: 0, caughtUp: true });
  });

  it('on a starved link is the time since the source went ahead of what arrived', () => {
    expect(pairLag({ ...base, lastLagMs: 2, lastEventAt: T - 60_000, behindSince: T - 7000 }))
      .toEqual({ lagMs: 7000, caughtUp: false });
  });
});

describe('lag tracker', () => {
  it('gives a grouped transaction the lag from its first event to the target commit', () => {
    const t = new LagTracker();
    const events = [ev('begin', T + 100, T + 100.4), ev('rows', T + 100, T + 100.5), ev('commit', T + 100, T + 100.6),
      ev('begin', T + 102, T + 102.2), ev('commit', T + 102, T + 102.3)];
    for (const e of events) t.received(e);
    // nothing taken yet: the oldest queued one counts
    expect(t.lag(T + 101, events[0]).lagMs).toBeCloseTo(0.6, 3);
    for (const e of events) t.taken(e);
    // the target is slow: the group is not committed, its first transaction ages
    expect(t.lag(T + 1100.4, undefined)).toMatchObject({ lagMs: 1000, caughtUp: false });
    t.settled(T + 1105.2);
    // committed: the last transaction's lag (begin estimate T+102.2), until QUIET_MS without events
    expect(t.lag(T + 1200, undefined)).toEqual({ lagMs: 1003, caughtUp: false, lastEventAt: T + 102.3 });
    expect(t.lag(T + 102.3 + QUIET_MS, undefined)).toEqual({ lagMs: 0, caughtUp: true, lastEventAt: T + 102.3 });
  });

  it('bounds a late arrival by the header second and the clock offset', () => {
    const t = new LagTracker();
    t.clockOffsetMs = 200;
    const b = ev('begin', T + 300, T + 9000);
    t.received(b);
    t.taken(b);
    t.settled(T + 9001);
    expect(t.lag(T + 9002, undefined).lagMs).toBe(9001 - 800);
  });

  it('counts a standalone statement from itself and skips position events', () => {
    const t = new LagTracker();
    const pos = ev('position', 0, T);
    t.received(pos);
    t.taken(pos);
    expect(t.lag(T + 500, pos)).toMatchObject({ lagMs: 0, caughtUp: true, lastEventAt: null });
    const ddl = ev('query', T + 10, T + 10.5, false);
    t.received(ddl);
    t.taken(ddl);
    t.settled(T + 40.5);
    expect(t.lag(T + 41, undefined)).toMatchObject({ lagMs: 30, caughtUp: false });
  });

  it('on a starved link counts from the last poll that found nothing missing', () => {
    const t = new LagTracker();
    t.sourceEnd(T, T + 1, false, T - 5000);
    t.sourceEnd(T + 2000, T + 2001, true, T - 5000);
    expect(t.lag(T + 4000, undefined)).toMatchObject({ lagMs: 4000, caughtUp: false });
    // bytes flowing again (the reader is just busy): not starved
    t.sourceEnd(T + 4000, T + 4001, true, T + 3900);
    expect(t.lag(T + 4002, undefined)).toMatchObject({ lagMs: 0, caughtUp: true });
  });
});

describe('binlog distance', () => {
  const files = [
    { name: 'mysql-bin.000001', size: 1000 }, { name: 'mysql-bin.000002', size: 600 },
    { name: 'mysql-bin.000003', size: 256 },
  ];

  it('adds the rest of the checkpoint file and every later file', () => {
    expect(binlogDistance(files, { file: 'mysql-bin.000002', pos: 400 })).toBe(200 + 256);
    expect(binlogDistance(files, { file: 'mysql-bin.000003', pos: 256 })).toBe(0);
    expect(binlogDistance(files, { file: 'mysql-bin.000001', pos: 4 })).toBe(996 + 600 + 256);
  });

  it('is unknown when the checkpoint file is gone', () => {
    expect(binlogDistance(files, { file: 'mysql-bin.000000', pos: 4 })).toBeNull();
  });
});
