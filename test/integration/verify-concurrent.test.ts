import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';

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
});
