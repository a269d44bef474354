/**
 * The snapshot loads chunks with LOAD DATA LOCAL INFILE; a target that refuses it
 * (local_infile=OFF) gets the same rows through multi-row INSERTs instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { copyTableDefs, diffDumps, dumpTable, pairContextFor, rows } from '../helpers/data-fixtures.js';
import { startServer, type TestServer } from '../helpers/mariadb-server.js';
import { runPair } from '../../src/core/pair/sync-pair.js';

const TABLE = `CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(50), l VARCHAR(20) CHARACTER SET latin1, b BLOB, k BIT(5), f DOUBLE)`;
const ROWS = `INSERT INTO t
  SELECT i, CONCAT('r', i, CHAR(9), CHAR(92), 'N', CHAR(10)), CONCAT(X'E9', i), IF(i % 7 = 0, NULL, UNHEX(HEX(i))), i % 32, i / 3 FROM (SELECT seq AS i FROM seq_1_to_2500) n`;

async function loadCount(db: TestContext['target']): Promise<number> {
  const [r] = await rows<{ Value: string }>(db, "SHOW GLOBAL STATUS LIKE 'Com_load'");
  return Number(r?.Value ?? 0);
}

describe('snapshot load path', () => {
  let t: TestContext;
  let own: TestServer;
  beforeAll(async () => {
    t = await createContext('dload');
    own = await startServer({ binlog: false, serverId: 31, label: 'load-off' });
    await t.source.query(TABLE);
    await t.source.query(ROWS);
  });
  afterAll(async () => { await t?.close(); await own?.stop(); });

  it('copies a table with LOAD DATA LOCAL when the target allows it, rows equal to the source', async () => {
    await copyTableDefs(t, ['t']);
    const before = await loadCount(t.target);
    const { ctx } = pairContextFor(t);
    await runPair({ ...ctx, pair: { ...ctx.pair, schema: false } }, { once: true });
    expect(await loadCount(t.target)).toBeGreaterThan(before);
    expect(diffDumps(await dumpTable(t.source, t.sourceDb, 't'), await dumpTable(t.target, t.targetDb, 't'))).toEqual([]);
  });

  it('reads a page row by row when the source cannot send it as one value, rows equal to the source', async () => {
    // one fixed page of 24 rows: more than the source's max_allowed_packet (16 MB), which cuts
    // the value; wide: 24 rows of 1 MB, cut after 16 of them; wide2: a small row, then one whose
    // line alone (9 MB of bytes as 18 MB of hex) exceeds it: cut inside the last line, with as
    // many lines as rows
    await t.source.query(`CREATE TABLE wide (id INT PRIMARY KEY, s LONGTEXT, n INT);
      INSERT INTO wide SELECT seq, CONCAT(REPEAT(MD5(seq), 32768), CHAR(10), 'end'), seq FROM seq_1_to_24;
      CREATE TABLE wide2 (id INT PRIMARY KEY, b LONGBLOB, n INT);
      INSERT INTO wide2 VALUES (1, X'00FF', 1), (2, REPEAT(X'00275C0A', 9 << 18), 2)`);
    await copyTableDefs(t, ['wide', 'wide2']);
    process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS = '24';
    try {
      const { ctx } = pairContextFor(t, { include: ['wide', 'wide2'] });
      await runPair({ ...ctx, pair: { ...ctx.pair, schema: false } }, { once: true });
    } finally {
      delete process.env.DB_SYNC_SNAPSHOT_CHUNK_ROWS;
    }
    expect(diffDumps(await dumpTable(t.source, t.sourceDb, 'wide'), await dumpTable(t.target, t.targetDb, 'wide')))
      .toEqual([]);
    // 9 MB values: compared by digest (their hex would exceed max_allowed_packet in dumpTable)
    const digest = 'SELECT id, n, LENGTH(b) AS len, MD5(b) AS md5 FROM wide2 ORDER BY id';
    expect(await rows(t.target, digest)).toEqual(await rows(t.source, digest));
    expect((await rows(t.source, digest)).length).toBe(2);
    await t.source.query('DROP TABLE wide, wide2');
    await t.target.query('DROP TABLE wide, wide2');
  });

  it('falls back to INSERTs on a target with local_infile=OFF and copies the same rows', async () => {
    const db = await own.connect();
    try {
      await db.query(`SET GLOBAL local_infile = 0; CREATE DATABASE fb; USE fb; ${TABLE}`);
      const { ctx } = pairContextFor(t);
      const target = { ...ctx.target, port: own.port, database: 'fb' };
      await runPair({ ...ctx, target, config: { ...ctx.config, connections: [ctx.source, target] } }, { once: true });
      expect(await loadCount(db)).toBe(0);
      expect(diffDumps(await dumpTable(t.source, t.sourceDb, 't'), await dumpTable(db, 'fb', 't'))).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
