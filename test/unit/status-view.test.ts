import { describe, it, expect } from 'vitest';
import { initialStatus, type PairStatus } from '../../src/core/status.js';
import type { StatusDocument } from '../../src/daemon/status-file.js';
import { health } from '../../src/daemon/metrics.js';
import { formatBytes, formatDuration, formatLag, lagText, pairDetail, renderStatus, stateLabel } from '../../src/cli/views/status-view.js';

const now = new Date('2026-01-01T12:00:00Z');

function pair(patch: Partial<PairStatus>): PairStatus {
  return { ...initialStatus('p', true), ...patch };
}

function doc(pairs: PairStatus[]): StatusDocument {
  return {
    service: {
      pid: 4242, startedAt: '2026-01-01T10:59:00Z', uptimeSec: 3660, version: '0.1.0', running: true, configFile: '/h/config.json',
      logDir: '/h/logs', metricsPort: null, configLoadedAt: '2026-01-01T10:59:00Z', configError: null,
      maxPairs: null, heldPairs: 1, updatedAt: '2026-01-01T11:59:59Z',
    },
    pairs,
  };
}

describe('status view', () => {
  it('formats durations and lag the way operators read them', () => {
    expect([formatDuration(5), formatDuration(65), formatDuration(3720), formatDuration(90_000)]).toEqual(['5s', '1m 5s', '1h 2m', '1d 1h']);
    expect([formatLag(null), formatLag(2.36), formatLag(12.4), formatLag(2500)])
      .toEqual(['-', '2.4 ms', '12 ms', '2.5 s']);
    expect([formatBytes(512), formatBytes(36_045), formatBytes(5 << 20), formatBytes(3 * 2 ** 30)])
      .toEqual(['512 B', '35.2 KiB', '5.0 MiB', '3.0 GiB']);
  });

  it('shows lag in ms for a pair with work and "caught up, last event N ago" for an idle one', () => {
    const busy = pair({ state: 'streaming', lagMs: 3.2, caughtUp: false, lastEventAt: '2026-01-01T11:59:59.990Z' });
    expect(lagText(busy, now)).toBe('3.2 ms');
    const idle = pair({ state: 'streaming', lagMs: 0, caughtUp: true, lastEventAt: '2026-01-01T11:59:48Z' });
    expect(lagText(idle, now)).toBe('caught up, last event 12s ago');
    const fresh = pair({ state: 'streaming', lagMs: 0, caughtUp: true });
    expect(lagText(fresh, now)).toBe('caught up, no event since start');
    // a stopped pair is not "caught up", whatever it last published
    expect(lagText({ ...idle, state: 'retrying' }, now)).toBe('0.0 ms');
    expect(renderStatus(doc([idle]), true, now, 200)).toMatch(/│ p +│ streaming +│ caught up, last event 12s ago │/);
  });

  it('shows the backlog and the distance to the source binlog end of a streaming pair', () => {
    const slow = pair({
      state: 'streaming', lagMs: 4200, caughtUp: false, backlog: { events: 120, bytes: 36_045 }, distanceBytes: 5 << 20,
    });
    expect(pairDetail(slow, now)).toBe('backlog 120 events (35.2 KiB); 5.0 MiB of source binlog to apply');
    expect(pairDetail({ ...slow, backlog: { events: 0, bytes: 0 }, distanceBytes: 0 }, now)).toBe('');
  });

  it('explains a retrying pair with its last error and when the next attempt is', () => {
    const p = pair({ state: 'retrying', nextRetryAt: '2026-01-01T12:00:30Z', lastError: { code: 'DB_CONNECTION_REFUSED', message: 'refused', at: '' } });
    expect(pairDetail(p, now)).toBe('DB_CONNECTION_REFUSED: refused; next attempt in 30s');
  });

  it('shows snapshot percent, tables and ETA', () => {
    const p = pair({ state: 'snapshot', snapshot: { table: 'orders', tablesDone: 1, tablesTotal: 4, rowsDone: 50, rowsTotal: 200, percent: 25, rowsPerSec: 10, etaSec: 15 } });
    expect(pairDetail(p, now)).toBe('25.0% (1/4 tables, orders, ETA 15s)');
  });

  it('renders the service line and one row per pair, and says when the state is stale', () => {
    const d = doc([pair({ state: 'streaming', lagMs: 3, position: { file: 'mysql-bin.000001', pos: 1234 } }), initialStatus('q', false)]);
    const live = renderStatus(d, true, now, 200);
    expect(live).toContain('service running (PID 4242, up 1h 1m, v0.1.0)');
    expect(live).toMatch(/│ p +│ streaming +│ 3.0 ms/);
    expect(live).toContain('mysql-bin.000001:1234');
    expect(live).toMatch(/│ q +│ disabled/);
    expect(renderStatus(d, false, now, 200)).toContain('service not running; last known state from 2026-01-01T11:59:59Z (stale)');
    expect(renderStatus(null, false, now)).toContain('service not running');
  });

  it('shows a standby pair with who holds it, in the table and as its state', () => {
    const since = '2026-01-01T11:00:00Z';
    const standby = { holder: { host: 'db-a', pid: 77, since }, note: `held by db-a:77 since ${since}` };
    const p = pair({ state: 'standby', standby });
    expect(stateLabel(p)).toBe('standby (held by db-a:77 since 2026-01-01T11:00:00Z)');
    expect(stateLabel(pair({ state: 'streaming' }))).toBe('streaming');
    expect(renderStatus(doc([p]), true, now, 200))
      .toMatch(/│ p +│ standby \(held by db-a:77 since 2026-01-01T11:00:00Z\) +│/);
  });

  it('is healthy unless an enabled pair is in error', () => {
    expect(health([pair({ state: 'standby' })]).healthy).toBe(true);
    expect(health([pair({ state: 'retrying' }), initialStatus('q', false)]).healthy).toBe(true);
    expect(health([pair({ state: 'error' })]).healthy).toBe(false);
    expect(health([{ ...pair({ state: 'error' }), enabled: false }]).healthy).toBe(true);
  });
});
