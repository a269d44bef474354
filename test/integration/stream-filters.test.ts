/**
 * Table filters in the change stream: renames into and out of the pair's scope, a table
 * made from an excluded one, and foreign keys to a table the pair does not sync.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { expectTablesEqual, rows, startPair } from '../helpers/data-fixtures.js';

async function names(c: TestContext['target']): Promise<string[]> {
  return (await rows<Record<string, string>>(c, 'SHOW TABLES')).map((r) => String(Object.values(r)[0])).filter((n) => !n.startsWith('_db_sync_')).sort();
}

describe('filters in the stream', () => {
  let t: TestContext;
  beforeEach(async () => { t = await createContext('sflt'); });
  afterEach(async () => { await t.close(); });

  const pair = { pair: { schema: true, exclude: ['tmp_*'] } };

  it('copies a table renamed into the scope, keeps one renamed out of it, and ignores excluded tables', async () => {
    await t.source.query(`CREATE TABLE kept (id INT PRIMARY KEY, v INT); INSERT INTO kept VALUES (1, 1);
      CREATE TABLE leaving (id INT PRIMARY KEY); INSERT INTO leaving VALUES (5)`);
    await startPair(t, { once: true, ...pair }).done;
    await t.source.query(`CREATE TABLE tmp_load (id INT PRIMARY KEY, v INT);
      INSERT INTO tmp_load VALUES (1, 10), (2, 20), (3, 30);
      RENAME TABLE tmp_load TO loaded;
      INSERT INTO loaded VALUES (4, 40);
      RENAME TABLE leaving TO tmp_gone;
      INSERT INTO tmp_gone VALUES (6);
      CREATE TABLE tmp_x LIKE kept; INSERT INTO tmp_x VALUES (9, 9);
      CREATE TABLE copy_of_tmp LIKE tmp_x; INSERT INTO copy_of_tmp SELECT * FROM tmp_x;
      UPDATE kept SET v = 2`);
    await startPair(t, { once: true, ...pair }).done;
    expect(await names(t.target)).toEqual(['copy_of_tmp', 'kept', 'loaded', 'tmp_gone']);
    await expectTablesEqual(t, ['kept', 'loaded', 'copy_of_tmp']);
    // renamed out of the scope: kept with the rows it had then, no longer updated
    expect(await rows(t.target, 'SELECT id FROM tmp_gone')).toEqual([{ id: 5 }]);
  });

  it('stops when a synced table cascades from an excluded one, and applies one with a plain foreign key to it', async () => {
    await t.source.query(`CREATE TABLE tmp_parent (id INT PRIMARY KEY); INSERT INTO tmp_parent VALUES (1), (2), (3);
      CREATE TABLE plain (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES tmp_parent(id));
      INSERT INTO plain VALUES (10, 1)`);
    await startPair(t, { once: true, ...pair }).done;
    await t.source.query('INSERT INTO plain VALUES (11, 2); UPDATE plain SET pid = 3 WHERE id = 10');
    const run = startPair(t, { once: true, ...pair });
    await run.done;
    await expectTablesEqual(t, ['plain']);
    expect(run.status.current().warnings.join('\n')).toMatch(/plain has foreign keys to or from tables the pair does not sync \(tmp_parent\)/);
    await t.source.query(`CREATE TABLE casc (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES tmp_parent(id) ON DELETE CASCADE);
      INSERT INTO casc VALUES (20, 1)`);
    await expect(startPair(t, { once: true, ...pair }).done).rejects.toMatchObject({
      code: 'FK_CASCADE_OUT_OF_SCOPE', hint: expect.stringMatching(/exclude casc/),
    });
  });

  it('stops at the DDL that makes a synced table cascade from an excluded one, before any row of it arrives', async () => {
    await t.source.query('CREATE TABLE tmp_parent (id INT PRIMARY KEY); INSERT INTO tmp_parent VALUES (1), (2)');
    await startPair(t, { once: true, ...pair }).done;
    // no row event for quiet: the source's cascade changes it without one
    await t.source.query(`CREATE TABLE quiet (id INT PRIMARY KEY, pid INT,
      FOREIGN KEY (pid) REFERENCES tmp_parent(id) ON DELETE CASCADE)`);
    await expect(startPair(t, { once: true, ...pair }).done).rejects.toMatchObject({
      code: 'FK_CASCADE_OUT_OF_SCOPE', details: { table: 'quiet', parents: ['tmp_parent'] },
    });
  });

  it('knows the foreign keys of a table created while streaming, after earlier tables were applied', async () => {
    await t.source.query(`CREATE TABLE tmp_parent (id INT PRIMARY KEY); INSERT INTO tmp_parent VALUES (1), (2);
      CREATE TABLE kept (id INT PRIMARY KEY)`);
    await startPair(t, { once: true, ...pair }).done;
    // one run: kept is applied first (the applier reads the schema's foreign keys then), then
    // a new table references the excluded parent, which the target does not have
    await t.source.query(`INSERT INTO kept VALUES (1);
      CREATE TABLE late (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES tmp_parent(id));
      INSERT INTO late VALUES (1, 2)`);
    const run = startPair(t, { once: true, ...pair });
    await run.done;
    await expectTablesEqual(t, ['kept', 'late']);
    expect(run.status.current().warnings.join('\n')).toMatch(/late has foreign keys to or from tables the pair does not sync \(tmp_parent\)/);
  });
});
