import { describe, it, expect } from 'vitest';
import { SyncError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { createStatusSink, type PairState } from '../../src/core/status.js';
import type { PairContext } from '../../src/core/pair/sync-pair.js';
import { configSchema } from '../../src/core/config/schema.js';
import { PairSupervisor, type PairRunner } from '../../src/daemon/supervisor.js';
import { isRetryable, retryDelayMs } from '../../src/core/retry.js';

const config = configSchema.parse({
  settings: { maxRetries: 2, retryDelay: 20 },
  connections: [
    { name: 'a', host: '127.0.0.1', user: 'u', database: 'd' },
    { name: 'b', host: '127.0.0.1', user: 'u', database: 'd' },
  ],
  syncPairs: [{ name: 'p', source: 'a', target: 'b' }, { name: 'q', source: 'a', target: 'b' }],
});

/** Resolves when `pred` holds; rejects with the pair's status after `ms` (generous: two shared cores). */
function waitFor(sink: ReturnType<typeof createStatusSink>, pred: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timeout; status ${JSON.stringify(sink.current())}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/** Streams until aborted, like the real engine does. */
const streamUntilAborted = (ctx: PairContext) => new Promise<void>((resolve) => {
  ctx.status.update({ state: 'streaming', lagMs: 0 });
  ctx.signal.addEventListener('abort', () => resolve(), { once: true });
});

function supervise(name: string, runPair: PairRunner, limits = { errorRetryMs: 50, backoffCapMs: 200 }) {
  const sink = createStatusSink(name);
  const states: PairState[] = [];
  const tracked = { update: (p: Parameters<typeof sink.update>[0]) => { sink.update(p); if (p.state) states.push(p.state); }, current: sink.current };
  const sup = new PairSupervisor({ name, config: () => config, runPair, logger: silentLogger(), status: tracked, retrySettings: () => config.settings, limits });
  return { sup, sink, states };
}

describe('pair supervisor', () => {
  it('shows retrying with the last error and next attempt time, then streams again after a retryable failure', async () => {
    let calls = 0;
    const { sup, sink, states } = supervise('p', async (ctx) => {
      calls += 1;
      if (calls <= 2) throw new SyncError('DB_CONNECTION_REFUSED', 'connection refused', { retryable: true });
      await streamUntilAborted(ctx);
    });
    const t0 = Date.now();
    sup.start();
    await waitFor(sink, () => sink.current().state === 'retrying');
    expect(sink.current().lastError?.code).toBe('DB_CONNECTION_REFUSED');
    expect(Date.parse(sink.current().nextRetryAt!)).toBeGreaterThanOrEqual(t0);
    await waitFor(sink, () => sink.current().state === 'streaming' && calls === 3);
    expect(sink.current().retryCount).toBe(0);
    expect(sink.current().errorsTotal).toBe(2);
    await sup.stop();
    expect(sink.current().state).toBe('stopped');
    expect(states.filter((s) => s === 'retrying')).toHaveLength(2);
  });

  it('puts a non-retryable failure in error state and tries again only after the slow interval', async () => {
    const started: number[] = [];
    const { sup, sink } = supervise('p', async () => {
      started.push(Date.now());
      throw new SyncError('DB_ACCESS_DENIED', 'access denied', { hint: 'grant it' });
    }, { errorRetryMs: 150, backoffCapMs: 1000 });
    sup.start();
    await waitFor(sink, () => started.length >= 2);
    expect(sink.current().state).toBe('error');
    expect(sink.current().lastError).toMatchObject({ code: 'DB_ACCESS_DENIED', hint: 'grant it' });
    expect(started[1]! - started[0]!).toBeGreaterThanOrEqual(140);
    await sup.stop();
  });

  it('keeps one pair streaming while another fails over and over', async () => {
    let okUpdates = 0;
    const good = supervise('p', async (ctx) => {
      ctx.status.update({ state: 'streaming' });
      while (!ctx.signal.aborted) {
        okUpdates += 1;
        ctx.status.update({ lagMs: 0 });
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    // The failing pair blocks for a while before failing (a hanging connect), then fails again.
    const bad = supervise('q', async () => {
      await new Promise((r) => setTimeout(r, 30));
      throw new SyncError('DB_CONNECTION_LOST', 'lost', { retryable: true });
    });
    good.sup.start();
    bad.sup.start();
    await waitFor(bad.sink, () => bad.sink.current().errorsTotal >= 4);
    // Both keep going side by side: the good pair's updates grow while the bad pair fails twice more.
    const before = okUpdates;
    const errorsBefore = bad.sink.current().errorsTotal;
    await waitFor(bad.sink, () => bad.sink.current().errorsTotal >= errorsBefore + 2);
    await waitFor(good.sink, () => okUpdates - before > 5);
    expect(good.sink.current().state).toBe('streaming');
    expect(good.sink.current().errorsTotal).toBe(0);
    await Promise.all([good.sup.stop(), bad.sup.stop()]);
  });

  it('stop() aborts the running pair and waits until its run has returned', async () => {
    let finished = false;
    const { sup, sink } = supervise('p', async (ctx) => {
      await streamUntilAborted(ctx);
      await new Promise((r) => setTimeout(r, 50)); // rolling back the transaction in flight
      finished = true;
    });
    sup.start();
    await waitFor(sink, () => sink.current().state === 'streaming');
    await sup.stop();
    expect(finished).toBe(true);
    expect(sink.current().state).toBe('stopped');
  });

  it('stops during a retry wait without waiting for the delay', async () => {
    const { sup, sink } = supervise('p', async () => {
      throw new SyncError('INTERNAL', 'x', { retryable: false });
    }, { errorRetryMs: 60_000, backoffCapMs: 60_000 });
    sup.start();
    await waitFor(sink, () => sink.current().state === 'error');
    const t0 = Date.now();
    await sup.stop();
    expect(Date.now() - t0).toBeLessThan(5_000); // the delay is 60 s
  });
});

describe('retry policy', () => {
  const settings = { maxRetries: 3, retryDelay: 5000 };
  it('retries at retryDelay for the first maxRetries failures, then doubles up to the cap', () => {
    expect([1, 2, 3].map((n) => retryDelayMs(n, true, settings))).toEqual([5000, 5000, 5000]);
    expect([4, 5, 6].map((n) => retryDelayMs(n, true, settings))).toEqual([10_000, 20_000, 40_000]);
    expect(retryDelayMs(30, true, settings)).toBe(300_000);
  });
  it('never busy-loops when retryDelay is 0', () => {
    expect(retryDelayMs(5, true, { maxRetries: 1, retryDelay: 0 })).toBeGreaterThanOrEqual(1000);
  });
  it('waits the slow error interval for failures that are not retryable', () => {
    expect(retryDelayMs(1, false, settings)).toBe(60_000);
  });
  it('decides from SyncError.retryable, and treats raw socket errors as retryable', () => {
    expect(isRetryable(new SyncError('INTERNAL', 'a', { retryable: true }))).toBe(true);
    expect(isRetryable(new SyncError('INTERNAL', 'connection refused'))).toBe(false);
    expect(isRetryable(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(new Error('ECONNRESET'))).toBe(false);
  });
});
