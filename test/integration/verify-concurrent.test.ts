import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, rootConnection, type TestContext } from '../helpers/context.js';
import { startService, waitForPair, waitUntilEqual, writeServiceConfig } from './service-helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('verify while the target is being kept in sync', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createContext('verifyconc');
    ctx.writeConfig({ pair: {} });
    for (const db of [ctx.source, ctx.target]) {
      await db.query('CREATE TABLE w (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL, n INT NOT NULL DEFAULT 0)');
      await db.query("INSERT INTO w SELECT seq, CONCAT('v', seq), 0 FROM seq_1_to_30000");
    }
  });
  afterAll(async () => ctx?.close());

  it('reports no false difference when each source change reaches the target a little later', async () => {
    let stop = false;
    let changes = 0;
    // A stand-in for the streaming service: every change lands on the source, then 30-120 ms later on the target.
    const writer = (async () => {
      for (let i = 0; !stop; i += 1) {
        const id = 1 + ((i * 7919) % 30000);
        const stmts = i % 3 === 0
          ? [`DELETE FROM w WHERE id = ${id}`, `INSERT INTO w VALUES (${100000 + i}, 'new', ${i})`]
          : [`UPDATE w SET v = CONCAT(v, 'x'), n = n + 1 WHERE id = ${id}`];
        for (const s of stmts) await ctx.source.query(s);
        await sleep(30 + (i % 4) * 30);
        for (const s of stmts) await ctx.target.query(s);
        changes += 1;
      }
    })();
    try {
      while (changes < 3) await sleep(20);
      const before = changes;
      const r = await ctx.cli(['verify', 'p', '--json', '--chunk-time', '5', '--sleep-ratio', '1']);
      const during = changes - before;
      expect(r.stderr).toBe('');
      const report = JSON.parse(r.stdout) as { equal: boolean; tables: Array<{ status: string; chunks: number }> };
      expect(report.tables[0]?.chunks).toBeGreaterThan(5);
      expect(report.equal).toBe(true);
      expect(r.code).toBe(0);
      // The writer really was changing rows while verify ran.
      expect(during).toBeGreaterThanOrEqual(3);
    } finally {
      stop = true;
      await writer;
    }
  });

  it('re-checks a chunk whose change a running pair has not applied yet, after the pair caught up; --no-recheck reports it', async () => {
    const t = await createContext('verifylag');
    const service = startService(t.home);
    const blocker = await rootConnection(t.ports.target, t.targetDb);
    try {
      await t.source.query("CREATE TABLE w (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL); INSERT INTO w SELECT seq, 'v' FROM seq_1_to_5000");
      writeServiceConfig(t.home, [{ name: 'p', source: { port: t.ports.source, database: t.sourceDb },
        target: { port: t.ports.target, database: t.targetDb } }]);
      await waitForPair(t.home, 'p', 'streaming', (p) => p.state === 'streaming', 60_000);
      await waitUntilEqual(t.source, t.target);
      // The pair's applier waits for this row lock: the change is in flight and the lag grows.
      await blocker.query('START TRANSACTION');
      await blocker.query('SELECT * FROM w WHERE id = 1 FOR UPDATE');
      await t.source.query("UPDATE w SET v = 'in flight' WHERE id = 1");
      await waitForPair(t.home, 'p', 'lagging', (p) => (p.lagMs ?? 0) > 1000, 30_000);

      // Control: without re-checks the change in flight is reported as a difference.
      const control = await t.cli(['verify', 'p', '--json', '--no-recheck']);
      expect(control.code, control.stderr).toBe(1);
      const ct = JSON.parse(control.stdout).tables[0];
      expect(ct).toMatchObject({ status: 'differs', rechecked: 0, different: 1, examples: { different: ['1'] } });

      // With re-checks, verify waits for the pair's lag (longer than its whole backoff) and then finds it equal.
      const started = Date.now();
      const verify = t.cli(['verify', 'p', '--json']);
      await sleep(10_000);
      await blocker.query('ROLLBACK');
      const r = await verify;
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).tables[0]).toMatchObject({ status: 'ok', rechecked: 1, different: 0 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
      await service.terminate();
      await t.close();
    }
  });
});
