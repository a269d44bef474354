import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamStatus } from '../../src/core/data/stream-status.js';
import type { StreamStats } from '../../src/core/data/stream-types.js';
import type { PairStatus, StatusSink } from '../../src/core/status.js';

const stats = (transactions: number, idle: boolean): StreamStats => ({
  events: transactions * 3, rows: transactions, transactions, lagMs: 0, caughtUp: idle, lastEventAt: null,
  distanceBytes: 0, position: { file: 'mysql-bin.000001', pos: 4 + transactions }, idle, backlogEvents: 0,
  backlogBytes: 0, reader: 'own',
});

describe('stream status updates', () => {
  let updates: Array<Partial<PairStatus>>;
  let status: StreamStatus;
  beforeEach(() => {
    vi.useFakeTimers();
    updates = [];
    const sink = { update: (p: Partial<PairStatus>) => { updates.push(p); }, current: () => ({}) } as unknown as StatusSink;
    status = new StreamStatus(sink);
  });
  afterEach(() => { vi.useRealTimers(); });

  it('shows the stream turning idle at once, and a trickle of idle transactions at most every 500 ms', () => {
    status.streamProgress(stats(1, false));
    expect(updates).toHaveLength(1);
    status.streamProgress(stats(2, true)); // turned idle: at once
    expect(updates.map((u) => u.totals?.transactions)).toEqual([1, 2]);
    // 1,000 transactions a second, each ending idle: no update per transaction
    for (let n = 3; n < 300; n++) { vi.advanceTimersByTime(1); status.streamProgress(stats(n, true)); }
    expect(updates).toHaveLength(2);
    // the last of them is shown when the interval ends
    vi.advanceTimersByTime(500);
    expect(updates).toHaveLength(3);
    expect(updates[2]?.totals?.transactions).toBe(299);
    expect(updates[2]?.caughtUp).toBe(true);
  });

  it('shows busy progress at most every 500 ms and never defers it', () => {
    status.streamProgress(stats(1, false));
    for (let n = 2; n < 100; n++) { vi.advanceTimersByTime(1); status.streamProgress(stats(n, false)); }
    vi.advanceTimersByTime(1000);
    expect(updates).toHaveLength(1);
    status.streamProgress(stats(100, false));
    expect(updates.map((u) => u.totals?.transactions)).toEqual([1, 100]);
  });
});
