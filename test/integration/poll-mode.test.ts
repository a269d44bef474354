import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/core/config/schema.js';
import { silentLogger } from '../../src/core/log.js';
import { createStatusSink, type StatusSink } from '../../src/core/status.js';
import { pairContext } from '../../src/core/pair/sync-pair.js';
import { runPolling } from '../../src/core/poll/poll-runner.js';
import { createContext, rootConnection, uniqueName, type TestContext } from '../helpers/context.js';

const POLL_MS = 200;
/**
 * How long a change may take to arrive. Generous on two shared cores: what proves that polling
 * (not reconciliation) applied a change is the hour-long reconcileInterval, not a tight bound.
 */
const CONVERGE_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ordered dump with HEX so byte differences show (u has no id key: ordered by its unique key). */
async function dump(db: TestContext['source'], table: string): Promise<string> {
  const [rows] = await db.query(`SELECT * FROM \`${table}\` ORDER BY ${table === 'u' ? 'region, id' : 'id'}`);
  return JSON.stringify(rows, (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v));
}

describe('polling mode on a source without a binlog', () => {
  let ctx: TestContext;
  let src: TestContext['source'];
  let srcDb: string;

  /** Wait until every table is equal; returns the elapsed ms (fails after `limitMs`). */
  async function converged(tables: string[], limitMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      const eq = await Promise.all(tables.map(async (t) => (await dump(src, t)) === (await dump(ctx.target, t))));
      if (eq.every(Boolean)) return Date.now() - started;
      if (Date.now() - started > limitMs) {
        const diffs = await Promise.all(tables.map(async (t) => `${t}\nsrc ${await dump(src, t)}\ndst ${await dump(ctx.target, t)}`));
        throw new Error(`not equal after ${limitMs} ms:\n${diffs.join('\n')}`);
      }
      await sleep(50);
    }
  }

  function start(pairExtra: Record<string, unknown>, once = false, onDdl?: (tables: string[]) => Promise<void>): { stop: () => Promise<void>; status: StatusSink; run: Promise<void> } {
    const config = configSchema.parse({
      settings: { pollInterval: POLL_MS },
      connections: [
        { name: 'src', host: '127.0.0.1', port: ctx.ports.target, user: 'root', password: '', database: srcDb },
        { name: 'dst', host: '127.0.0.1', port: ctx.ports.target, user: 'root', password: '', database: ctx.targetDb },
      ],
      syncPairs: [{ name: 'p', source: 'src', target: 'dst', mode: 'poll', pollPageSize: 3, pollOverlap: 1500, ...pairExtra }],
    });
    const ac = new AbortController();
    const status = createStatusSink('p');
    const pc = pairContext(config, 'p', { logger: silentLogger(), signal: ac.signal, status });
    const run = runPolling(pc, { once, onDdl });
    return { stop: async () => { ac.abort(); await run; }, status, run };
  }

  // Every test starts from fresh databases and tables: one failure never cascades.
  beforeEach(async () => {
    ctx = await createContext('poll');
    // The shared target server runs without log-bin: the source database lives there too.
    srcDb = uniqueName('poll_src');
    src = await rootConnection(ctx.ports.target);
    await src.query(`CREATE DATABASE \`${srcDb}\``);
    await src.changeUser({ database: srcDb });
    const [[{ logBin }]] = (await src.query('SELECT @@log_bin AS logBin')) as unknown as [[{ logBin: number | string }]];
    expect(String(logBin)).toBe('0');
    const ddl = [
      'CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(20), updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), KEY (updated_at))',
      'CREATE TABLE b (id INT PRIMARY KEY, v VARCHAR(20))',
      'CREATE TABLE c (id INT PRIMARY KEY, v VARCHAR(20), modified_at DATETIME NULL, KEY (modified_at))',
      // No primary key: polled and reconciled by its composite NOT NULL unique key.
      `CREATE TABLE u (region CHAR(2) NOT NULL, id INT NOT NULL, v VARCHAR(20),
        updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), UNIQUE KEY uk (region, id), KEY (updated_at))`,
    ];
    for (const d of ddl) {
      await src.query(d);
      await ctx.target.query(d);
    }
    await src.query("INSERT INTO a (id, v) SELECT seq, CONCAT('a', seq) FROM seq_1_to_20");
    await src.query("INSERT INTO b SELECT seq, CONCAT('b', seq) FROM seq_1_to_20");
    await src.query("INSERT INTO c SELECT seq, CONCAT('c', seq), '2024-01-01 00:00:00' FROM seq_1_to_5");
    await src.query("INSERT INTO u (region, id, v) SELECT r, seq, CONCAT(r, seq) FROM seq_1_to_5, (SELECT 'eu' AS r UNION SELECT 'us') AS x");
  });
  afterEach(async () => {
    await src?.query(`DROP DATABASE IF EXISTS \`${srcDb}\``).catch(() => undefined);
    await src?.end();
    await ctx?.close();
  });

  it('copies the tables first (one keyed only by a NOT NULL unique key), then applies inserts, updates, a double '
    + 'update and equal timestamps across pages by polling (reconciliation is an hour away)', async () => {
    const runner = start({ reconcileInterval: 3_600_000 });
    try {
      await converged(['a', 'b', 'c', 'u'], CONVERGE_MS);
      await sleep(POLL_MS);
      await src.query("INSERT INTO a (id, v) VALUES (21, 'new'), (22, 'new2')");
      await src.query("UPDATE a SET v = 'upd' WHERE id = 3");
      await src.query("UPDATE a SET v = 'twice-1' WHERE id = 4");
      await src.query("UPDATE a SET v = 'twice-2' WHERE id = 4");
      // Ten rows with one timestamp, with a page size of 3: ties are broken by key.
      await src.query("INSERT INTO c SELECT seq, CONCAT('tie', seq), '2030-01-01 00:00:00' FROM seq_100_to_109");
      await src.query("UPDATE c SET v = 'tie-upd', modified_at = '2030-01-01 00:00:00' WHERE id = 2");
      await src.query("INSERT INTO u (region, id, v) VALUES ('us', 6, 'new')");
      await src.query("UPDATE u SET v = 'upd' WHERE region = 'us' AND id = 2"); // ('eu', 2) keeps its value
      await converged(['a', 'c', 'u'], CONVERGE_MS);
      // A late commit: a row whose timestamp is older than rows already polled.
      await src.query("INSERT INTO a (id, v, updated_at) SELECT 30, 'late', MAX(updated_at) - INTERVAL 0.3 SECOND FROM a");
      await converged(['a'], CONVERGE_MS);
      // b has no timestamp column: polling alone never copies its change. A change to a made
      // after it arriving proves a poll cycle ran after b's change.
      await src.query("UPDATE b SET v = 'only-reconcile' WHERE id = 1");
      await src.query("UPDATE a SET v = 'after-b' WHERE id = 1");
      await converged(['a'], CONVERGE_MS);
      expect(await dump(src, 'b')).not.toBe(await dump(ctx.target, 'b'));
      const st = runner.status.current();
      expect(st).toMatchObject({ state: 'polling', mode: 'poll', snapshot: null });
      expect(st.lagMs).toBeGreaterThanOrEqual(0);
      expect(st.totals.rows).toBeGreaterThanOrEqual(16);
    } finally {
      await runner.stop();
    }
  });

  it('applies deletes and changes to a table without a timestamp column through reconciliation', async () => {
    const runner = start({ reconcileInterval: 1000 });
    try {
      await converged(['a', 'b', 'c', 'u'], CONVERGE_MS); // the rows to delete are on the target first
      await src.query('DELETE FROM a WHERE id IN (5, 20)');
      await src.query('DELETE FROM b WHERE id = 7');
      await src.query("INSERT INTO b VALUES (99, 'b99')");
      await src.query("UPDATE b SET v = 'changed' WHERE id = 8");
      await src.query('DELETE FROM c WHERE id = 3');
      await src.query("DELETE FROM u WHERE region = 'eu' AND id = 3");
      await converged(['a', 'b', 'c', 'u'], CONVERGE_MS);
    } finally {
      await runner.stop();
    }
    const [rows] = (await ctx.target.query("SELECT stream FROM _db_sync_checkpoint WHERE pair_name = 'p' ORDER BY stream")) as unknown as [Array<{ stream: string }>];
    expect(rows.map((r) => r.stream)).toEqual(['poll:a', 'poll:b', 'poll:c', 'poll:u']);
  });

  it('with once, applies everything pending (changes and deletes) and returns', async () => {
    await src.query("UPDATE a SET v = 'once' WHERE id = 1");
    await src.query('DELETE FROM b WHERE id = 2');
    const runner = start({ reconcileInterval: 3_600_000 }, true);
    await runner.run;
    await converged(['a', 'b', 'c'], 0);
  });

  it('asks the pair to sync the schema when the columns of a table change on the source, then copies the new values', async () => {
    const asked: string[][] = [];
    // Stands in for the schema step the data step passes as onDdl.
    const onDdl = async (tables: string[]) => {
      asked.push(tables);
      await ctx.target.query('ALTER TABLE a ADD COLUMN extra INT NULL');
    };
    const runner = start({ reconcileInterval: 1000 }, false, onDdl);
    try {
      await converged(['a'], CONVERGE_MS);
      await src.query('ALTER TABLE a ADD COLUMN extra INT NULL');
      await src.query('UPDATE a SET extra = id * 10 WHERE id <= 3');
      await converged(['a'], CONVERGE_MS);
      await src.query("INSERT INTO a (id, v, extra) VALUES (40, 'after', 400)");
      await converged(['a'], CONVERGE_MS);
    } finally {
      await runner.stop();
    }
    expect(asked).toEqual([['a']]);
  });
});
