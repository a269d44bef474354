import { describe, it, expect } from 'vitest';
import {
  historyWarning, retentionSec, snapshotRetentionWarning, stoppedPairRisk, throttleReason, type StoppedPairInput,
} from '../../src/core/guard/decide.js';
import { initialStatus } from '../../src/core/status.js';
import { pairDetail } from '../../src/cli/views/status-view.js';
import { configSchema } from '../../src/core/config/schema.js';
import { referenceProblems } from '../../src/core/config/store.js';

const limits = { maxThreadsRunning: 50, maxReplicaLagSec: 10 };

describe('throttle decision', () => {
  it('waits only while Threads_running is above the limit', () => {
    expect(throttleReason({ threadsRunning: 50, replicas: [] }, limits)).toBeNull();
    expect(throttleReason({ threadsRunning: 51, replicas: [] }, limits)).toBe('Threads_running 51 > 50');
    expect(throttleReason({ threadsRunning: null, replicas: [] }, limits)).toBeNull();
  });

  it('never waits for Threads_running when the limit is 0', () => {
    expect(throttleReason({ threadsRunning: 10_000, replicas: [] }, { ...limits, maxThreadsRunning: 0 })).toBeNull();
  });

  it('waits for a lagging, stopped or unreachable replica, naming each reason', () => {
    expect(throttleReason({ threadsRunning: 3, replicas: [{ name: 'r1', lagSec: 10 }] }, limits)).toBeNull();
    expect(throttleReason({ threadsRunning: 3, replicas: [{ name: 'r1', lagSec: 11 }] }, limits))
      .toBe('replica r1 lag 11 s > 10 s');
    const replicas = [{ name: 'r1', lagSec: null }, { name: 'r2', lagSec: null, error: 'connect ECONNREFUSED' }];
    expect(throttleReason({ threadsRunning: 60, replicas }, limits))
      .toBe('Threads_running 60 > 50, replica r1: replication not running, replica r2: connect ECONNREFUSED');
  });
});

describe('binlog retention', () => {
  it('takes binlog_expire_logs_seconds, else expire_logs_days, 0 meaning never', () => {
    expect(retentionSec({ expireSeconds: 3600, expireDays: 0.041667 })).toBe(3600);
    expect(retentionSec({ expireSeconds: null, expireDays: 7 })).toBe(604_800);
    expect(retentionSec({ expireSeconds: 0, expireDays: 0 })).toBe(0);
  });

  it('warns when a snapshot is estimated at more than half of the retention', () => {
    expect(snapshotRetentionWarning(3600, 1800)).toBeNull();
    expect(snapshotRetentionWarning(3600, 1801)).toContain('a snapshot is estimated at 30 min');
    expect(snapshotRetentionWarning(0, 1e9)).toBeNull();
  });

  const base: StoppedPairInput = {
    retention: 86_400, files: ['b.000001', 'b.000002', 'b.000003'], checkpointFile: 'b.000001',
    lastMoveMs: 0, nowMs: 0,
  };
  const hour = 3_600_000;

  it('reports a stopped pair before its checkpoint binlog can be purged, not long before', () => {
    expect(stoppedPairRisk({ ...base, nowMs: 11 * hour }).level).toBe('ok');
    const soon = stoppedPairRisk({ ...base, nowMs: 13 * hour });
    expect(soon.level).toBe('soon');
    expect(soon.purgeAt).toBe('1970-01-02T00:00:00.000Z');
    expect(soon.message).toContain('the oldest binlog on the source');
    expect(soon.message).toContain('in 11.0 h');
    expect(stoppedPairRisk({ ...base, nowMs: 25 * hour }).level).toBe('overdue');
  });

  it('knows the current binlog is never purged, a gone one already is, and no retention keeps all', () => {
    expect(stoppedPairRisk({ ...base, checkpointFile: 'b.000003', nowMs: 100 * hour }).level).toBe('ok');
    const gone = stoppedPairRisk({ ...base, files: ['b.000002', 'b.000003'] });
    expect(gone.level).toBe('purged');
    expect(gone.message).toContain('--resnapshot');
    expect(stoppedPairRisk({ ...base, retention: 0, nowMs: 1000 * hour }).level).toBe('ok');
  });
});

describe('history list length', () => {
  it('warns above the threshold only, and never when it is 0', () => {
    expect(historyWarning(1000, 1000)).toBeNull();
    expect(historyWarning(1001, 1000)).toContain('source history list length 1001 > 1000');
    expect(historyWarning(5e9, 0)).toBeNull();
    expect(historyWarning(null, 1)).toBeNull();
  });
});

describe('throttle in status and config', () => {
  it('shows why and for how long the pair waits', () => {
    const throttled = { reason: 'Threads_running 60 > 50', since: '2026-01-01T11:59:50Z' };
    const p = { ...initialStatus('p', true), state: 'snapshot' as const, throttled };
    expect(pairDetail(p, new Date('2026-01-01T12:00:00Z'))).toBe('throttled (Threads_running 60 > 50) for 10s');
  });

  it('has defaults and refuses an unknown throttle replica', () => {
    const config = configSchema.parse({
      connections: ['a', 'b'].map((name) => ({ name, host: 'h', user: 'u', database: `d_${name}` })),
      syncPairs: [{ name: 'p', source: 'a', target: 'b', throttleReplicas: ['r9'] }],
    });
    expect(config.settings)
      .toMatchObject({ throttleThreadsRunning: 50, throttleReplicaLag: 10, historyListWarn: 1_000_000 });
    expect(referenceProblems(config)).toEqual(['syncPairs[0].throttleReplicas[0]: unknown connection "r9"']);
  });
});
