/**
 * The service with the real engine: graceful SIGTERM during the snapshot and during
 * streaming (exit 0 quickly, resume, target equals source), lag near 0 when idle, and one
 * broken pair never stalling another.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { freePort } from '../helpers/mariadb-server.js';
import { startService, waitForPair, waitUntilEqual, writeServiceConfig, type RunningService } from './service-helpers.js';

let ctx: TestContext;
let services: RunningService[] = [];

beforeEach(async () => {
  ctx = await createContext('svcstop');
  services = [];
});
afterEach(async () => {
  for (const s of services) await s.terminate('SIGKILL');
  await ctx.close();
});

const run = (args: string[] = [], env: NodeJS.ProcessEnv = {}) => {
  const s = startService(ctx.home, args, env);
  services.push(s);
  return s;
};

const pairOnContext = () => writeServiceConfig(ctx.home, [{
  name: 'p', source: { port: ctx.ports.source, database: ctx.sourceDb }, target: { port: ctx.ports.target, database: ctx.targetDb },
}]);

/** Inserts and updates on the source until stopped; returns how many transactions it made. */
function writeLoad(): { stop(): Promise<number> } {
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      n += 1;
      await ctx.source.query('INSERT INTO events (kind, payload) VALUES (?, ?)', [`k${n % 7}`, `payload ${n}`]);
      if (n % 3 === 0) await ctx.source.query('UPDATE events SET payload = CONCAT(payload, ?) WHERE id = ?', ['+', Math.max(1, n - 2)]);
      if (n % 10 === 0) await ctx.source.query('DELETE FROM events WHERE id = ?', [n - 5]);
    }
  })();
  return { async stop() { stopped = true; await loop; return n; } };
}

describe('service shutdown and isolation with the real engine', () => {
  it('exits 0 within seconds on SIGTERM during the snapshot, and the restarted service resumes until target equals source', async () => {
    await ctx.source.query('CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(100) NOT NULL, n BIGINT UNSIGNED NOT NULL)');
    await ctx.source.query("INSERT INTO big SELECT seq, CONCAT('row-', seq, REPEAT('x', 60)), seq * 4294967296 FROM seq_1_to_300000");
    pairOnContext();
    // Small snapshot chunks (the data step's tuning knob) keep the snapshot long enough to interrupt.
    const first = run([], { DB_SYNC_SNAPSHOT_CHUNK_ROWS: '500' });
    await waitForPair(ctx.home, 'p', 'in the snapshot', (p) => p.state === 'snapshot' && (p.snapshot?.rowsDone ?? 0) > 0);
    const stop = await first.terminate();
    expect(stop.code, first.output()).toBe(0);
    expect(stop.ms).toBeLessThan(10_000);
    await ctx.source.query("UPDATE big SET v = 'changed while stopped' WHERE id % 1000 = 0");
    const second = run();
    await waitForPair(ctx.home, 'p', 'streaming', (p) => p.state === 'streaming', 120_000);
    await waitUntilEqual(ctx.source, ctx.target, 60_000);
    expect((await second.terminate()).code).toBe(0);
  });

  it('exits 0 on SIGTERM while streaming under writes; after a restart nothing is lost or doubled', async () => {
    await ctx.source.query('CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY, kind VARCHAR(20) NOT NULL, payload TEXT)');
    pairOnContext();
    const first = run();
    await waitForPair(ctx.home, 'p', 'streaming', (p) => p.state === 'streaming');
    const load = writeLoad();
    await waitForPair(ctx.home, 'p', 'applying rows', (p) => p.totals.rows > 20);
    const stop = await first.terminate();
    expect(stop.code, first.output()).toBe(0);
    expect(stop.ms).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 500)); // writes continue while the service is down
    run();
    await waitForPair(ctx.home, 'p', 'streaming again', (p) => p.state === 'streaming');
    const writes = await load.stop();
    expect(writes).toBeGreaterThan(20);
    await waitUntilEqual(ctx.source, ctx.target, 60_000);
  });

  it('reports a numeric lag that goes to about 0 when the source is idle, in status --json', async () => {
    await ctx.source.query('CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY, kind VARCHAR(20) NOT NULL, payload TEXT)');
    pairOnContext();
    run();
    await waitForPair(ctx.home, 'p', 'streaming', (p) => p.state === 'streaming');
    await ctx.source.query("INSERT INTO events (kind) VALUES ('a'), ('b')");
    await waitUntilEqual(ctx.source, ctx.target);
    await new Promise((r) => setTimeout(r, 3000));
    const doc = JSON.parse((await ctx.cli(['status', '--json'])).stdout) as { service: { running: boolean }; pairs: Array<{ state: string; lagMs: unknown; totals: { rows: number } }> };
    expect(doc.service.running).toBe(true);
    expect(doc.pairs[0]!.state).toBe('streaming');
    expect(typeof doc.pairs[0]!.lagMs).toBe('number');
    expect(doc.pairs[0]!.lagMs as number).toBeLessThan(2000);
    expect(doc.pairs[0]!.totals.rows).toBeGreaterThanOrEqual(2);
  });

  it('keeps syncing one pair while the other pair\'s target cannot be reached', async () => {
    await ctx.source.query('CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY, kind VARCHAR(20) NOT NULL, payload TEXT)');
    const nowhere = await freePort();
    writeServiceConfig(ctx.home, [
      { name: 'broken', source: { port: ctx.ports.source, database: ctx.sourceDb }, target: { port: nowhere, database: 'nothing' } },
      { name: 'good', source: { port: ctx.ports.source, database: ctx.sourceDb }, target: { port: ctx.ports.target, database: ctx.targetDb } },
    ]);
    run();
    const broken = await waitForPair(ctx.home, 'broken', 'retrying', (p) => p.state === 'retrying' || p.state === 'error');
    expect(broken.lastError).not.toBeNull();
    await waitForPair(ctx.home, 'good', 'streaming', (p) => p.state === 'streaming');
    const load = writeLoad();
    await new Promise((r) => setTimeout(r, 3000));
    await load.stop();
    await waitUntilEqual(ctx.source, ctx.target);
    await waitForPair(ctx.home, 'broken', 'still failing', (p) => p.errorsTotal >= 2);
  });
});
