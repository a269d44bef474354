/**
 * Lag that means something, through the real CLI and a running service: under a steady
 * write load `status --json` shows a millisecond lag; with the target blocked (a LOCK TABLES
 * on the target) the backlog fills and the lag grows every second, in status and /metrics;
 * once the load stops the pair is "caught up" with nothing pending, and the target equals the
 * source (server-side checksums). A starved link (the binlog connection frozen, the source
 * moving on) shows a lag growing from when the source moved on, not "caught up".
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type mysql from 'mysql2/promise';
import { createContext, rootConnection, type TestContext } from '../helpers/context.js';
import { freePort } from '../helpers/mariadb-server.js';
import { startService, waitForPair, type RunningService } from './service-helpers.js';
import type { PairStatus } from '../../src/core/status.js';
import { runBinlogSync } from '../../src/core/data/orchestrator.js';
import { copyTableDefs, pairContextFor, waitTablesEqual, waitUntil } from '../helpers/data-fixtures.js';
import { tcpProxy } from '../helpers/tcp-proxy.js';

let ctx: TestContext;
let service: RunningService;
let metricsPort: number;

/** Single-row transactions on the source at `rate` per second, paced by the clock. */
function steadyLoad(rate: number): { stop(): Promise<number> } {
  let stopped = false;
  let n = 0;
  const t0 = Date.now();
  const loop = (async () => {
    while (!stopped) {
      n += 1;
      await ctx.source.query('INSERT INTO ticks (n, at) VALUES (?, NOW(6))', [n]);
      const wait = t0 + (n * 1000) / rate - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return { async stop() { stopped = true; await loop; return n; } };
}
let load: ReturnType<typeof steadyLoad> | undefined;

async function statusJson(): Promise<PairStatus> {
  const r = await ctx.cli(['status', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { pairs: PairStatus[] };
  return doc.pairs.find((p) => p.name === 'p')!;
}

async function metric(name: string): Promise<number | null> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const m = new RegExp(`^${name}\\{pair="p"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function checksum(db: mysql.Connection): Promise<string> {
  const [[row]] = await db.query('CHECKSUM TABLE ticks EXTENDED') as unknown as [[{ Checksum: string | number }]];
  return String(row.Checksum);
}

describe('lag, backlog and distance in status --json and /metrics', () => {
  beforeAll(async () => {
    ctx = await createContext('lag');
    await ctx.source.query('CREATE TABLE ticks (id INT AUTO_INCREMENT PRIMARY KEY, n INT NOT NULL, at DATETIME(6))');
    ctx.writeConfig();
    metricsPort = await freePort();
    service = startService(ctx.home, ['--metrics-port', String(metricsPort)]);
    await waitForPair(ctx.home, 'p', 'streaming', (p) => p.state === 'streaming');
  });
  afterAll(async () => {
    await load?.stop();
    await service?.terminate();
    await ctx?.close();
  });

  it('shows a millisecond lag under a steady load of 100 transactions per second', async () => {
    load = steadyLoad(100);
    await sleep(3000);
    const lags: number[] = [];
    for (let i = 0; i < 6; i++) {
      const p = await statusJson();
      expect(p.state).toBe('streaming');
      expect(p.caughtUp, JSON.stringify(p)).toBe(false);
      expect(Date.now() - Date.parse(p.lastEventAt!)).toBeLessThan(3000);
      expect(p.backlog).toEqual({ events: expect.any(Number), bytes: expect.any(Number) });
      expect(p.distanceBytes).toEqual(expect.any(Number));
      lags.push(p.lagMs!);
      await sleep(400);
    }
    for (const l of lags) {
      expect(l, `lags ${lags.join(', ')}`).toBeGreaterThan(0);
      expect(l, `lags ${lags.join(', ')}`).toBeLessThan(1000);
    }
    // not the binlog header's whole seconds: a few ms, where a header-based lag averages 500 ms
    expect(lags.some((l) => l % 1000 !== 0)).toBe(true);
    const median = [...lags].sort((a, b) => a - b)[Math.floor(lags.length / 2)]!;
    expect(median, `lags ${lags.join(', ')}`).toBeLessThan(100);
    console.log(`lag samples at 100 txn/s (ms): ${lags.join(', ')}`);
    const seconds = await metric('db_sync_pair_lag_seconds');
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(1);
  });

  it('while the target is locked, the backlog fills and the lag grows every second', async () => {
    const locker = await rootConnection(ctx.ports.target, ctx.targetDb);
    try {
      await locker.query('LOCK TABLES ticks WRITE');
      // the status file follows within a second or two (later on a loaded machine)
      await waitUntil('the backlog to show in status --json', async () => ((await statusJson()).backlog?.events ?? 0) > 0,
        30_000);
      const samples: PairStatus[] = [];
      for (let i = 0; i < 4; i++) {
        samples.push(await statusJson());
        await sleep(1100 - 300);
      }
      const lags = samples.map((p) => p.lagMs!);
      for (const p of samples) {
        expect(p.state).toBe('streaming');
        expect(p.caughtUp).toBe(false);
        expect(p.backlog!.events, JSON.stringify(p)).toBeGreaterThan(0);
        expect(p.backlog!.bytes).toBeGreaterThan(0);
      }
      for (let i = 1; i < lags.length; i++) {
        expect(lags[i]!, `lags ${lags.join(', ')}`).toBeGreaterThan(lags[i - 1]! + 300);
      }
      expect(lags.at(-1)!).toBeGreaterThan(2500);
      expect(samples.at(-1)!.backlog!.events).toBeGreaterThan(samples[0]!.backlog!.events);
      // the source's binlog moved on past the checkpoint (polled every 2 s)
      expect(samples.at(-1)!.distanceBytes, JSON.stringify(samples.at(-1))).toBeGreaterThan(0);
      expect(await metric('db_sync_pair_backlog_events')).toBeGreaterThan(0);
      expect(await metric('db_sync_pair_lag_seconds')).toBeGreaterThan(2.5);
      expect(await metric('db_sync_pair_caught_up')).toBe(0);
      const table = await ctx.cli(['status']);
      expect(table.stdout).toMatch(/│ p +│ streaming +│ \d+\.\d s +│/);
      expect(table.stdout).toMatch(/backlog \d+ events \(\d+(\.\d)? (B|KiB|MiB)\)/);
    } finally {
      await locker.query('UNLOCK TABLES').catch(() => undefined);
      await locker.end();
    }
  });

  it('after the load stops, the pair is caught up, nothing is pending and the target equals the source', async () => {
    const n = await load!.stop();
    load = undefined;
    const settled = (s: PairStatus) => s.caughtUp === true && s.distanceBytes === 0;
    const p = await waitForPair(ctx.home, 'p', 'caught up with the distance polled', settled, 30_000);
    expect(p.lagMs).toBe(0);
    expect(p.backlog).toEqual({ events: 0, bytes: 0 });
    const json = await statusJson();
    expect(json).toMatchObject({ caughtUp: true, lagMs: 0, distanceBytes: 0, backlog: { events: 0, bytes: 0 } });
    expect((await ctx.cli(['status'])).stdout).toMatch(/caught up, last event \d+s ago/);
    expect(await metric('db_sync_pair_caught_up')).toBe(1);
    expect(await metric('db_sync_pair_binlog_distance_bytes')).toBe(0);
    const lastEvent = await metric('db_sync_pair_last_event_timestamp_seconds');
    expect(lastEvent).toBeCloseTo(Date.parse(json.lastEventAt!) / 1000, 2);
    const [[count]] = await ctx.target.query('SELECT COUNT(*) AS c FROM ticks') as unknown as [[{ c: number }]];
    expect(Number(count.c)).toBe(n);
    expect(await checksum(ctx.target)).toBe(await checksum(ctx.source));
  });
});

describe('a starved binlog link', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createContext('lagstarve');
    await t.source.query('CREATE TABLE r (id INT PRIMARY KEY, v INT)');
    await copyTableDefs(t, ['r']);
  });
  afterAll(async () => { await t?.close(); });

  it('is not "caught up": the lag grows from when the source moved on while nothing arrives', async () => {
    const proxy = await tcpProxy(t.ports.source);
    const { ctx, abort } = pairContextFor(t);
    const running = runBinlogSync({
      pairName: 'p', source: { ...ctx.source, port: proxy.port }, target: ctx.target, inScope: () => true, once: false,
      resnapshot: false, replayDdl: false, syncObjects: false,
      schema: { initial: async () => undefined, objects: async () => undefined },
      maxRetries: 3, retryDelay: 200, status: ctx.status, logger: ctx.logger, signal: abort.signal, watchdogMs: 60_000,
    });
    try {
      await t.source.query('INSERT INTO r VALUES (1, 1)');
      await waitTablesEqual(t, ['r']);
      // caught up, and the source's binlog end polled with nothing missing
      const deadline = Date.now() + 15_000;
      const settled = () => ctx.status.current().caughtUp === true && ctx.status.current().distanceBytes === 0;
      while (!settled() && Date.now() < deadline) await sleep(100);
      expect(ctx.status.current()).toMatchObject({ caughtUp: true, lagMs: 0, distanceBytes: 0 });
      // the binlog connection (opened last) stops forwarding; the control connection still answers
      proxy.freezeLast();
      const t0 = Date.now();
      await t.source.query('INSERT INTO r VALUES (2, 2)');
      // found at the first poll (every 2 s) after a second without bytes
      await sleep(4000);
      const first = ctx.status.current();
      await sleep(2000);
      const second = ctx.status.current();
      const sinceInsert = Date.now() - t0;
      for (const s of [first, second]) {
        expect(s.caughtUp, JSON.stringify(s)).toBe(false);
        expect(s.backlog).toEqual({ events: 0, bytes: 0 });
      }
      expect(first.lagMs!).toBeGreaterThan(1500);
      expect(second.lagMs!).toBeGreaterThan(first.lagMs! + 1000);
      // counted from the last poll that found nothing missing: at most one poll interval (2 s) early
      expect(second.lagMs!).toBeLessThan(sinceInsert + 2500);
      expect(second.distanceBytes!).toBeGreaterThan(0);
    } finally {
      abort.abort();
      await running;
      await proxy.close();
    }
  });
});
