/**
 * What cannot be applied exactly stops the pair with its reason and fix, and the fix works:
 * a session in binlog_format=STATEMENT, a SEQUENCE's NEXTVAL, partial row images, a snapshot chunk the target
 * would load with skipped or converted rows, and a second runner of the same pair.
 */
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, createContext, type TestContext } from '../helpers/context.js';
import { copyTableDefs, expectTablesEqual, rows, startPair, waitTablesEqual } from '../helpers/data-fixtures.js';

describe('loud stops', () => {
  let t: TestContext;
  beforeEach(async () => { t = await createContext('sloud'); });
  afterEach(async () => { await t.close(); });

  const schema = { pair: { schema: true } };

  it('stops on statement-based DML naming binlog_format, and --recopy brings the table back', async () => {
    await t.source.query('CREATE TABLE s (id INT PRIMARY KEY, v INT); INSERT INTO s VALUES (1, 1), (2, 2); CREATE TABLE other (id INT PRIMARY KEY)');
    await startPair(t, { once: true, ...schema }).done;
    await t.source.query("SET SESSION binlog_format = 'STATEMENT'; UPDATE s SET v = v + 10 WHERE id = 1; SET SESSION binlog_format = 'ROW'");
    await t.source.query('INSERT INTO s VALUES (3, 3); INSERT INTO other VALUES (1)');
    const err = await startPair(t, { once: true, ...schema }).done.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BINLOG_STATEMENT_DML', message: expect.stringMatching(/binlog_format=STATEMENT/), hint: expect.stringMatching(/--recopy s/) });
    // the checkpoint stayed before the statement: nothing after it was applied either
    expect(await rows(t.target, 'SELECT CAST(COUNT(*) AS CHAR) AS n FROM other')).toEqual([{ n: '0' }]);
    await startPair(t, { once: true, recopy: ['s'], ...schema }).done;
    await expectTablesEqual(t, ['s', 'other']);
  });

  it('stops on a SEQUENCE\'s NEXTVAL naming the sequence and the exclude, and runs on with it excluded', async () => {
    await t.source.query('CREATE TABLE o (id BIGINT PRIMARY KEY, v INT)');
    await startPair(t, { once: true, ...schema }).done;
    await t.source.query(`CREATE SEQUENCE o_seq START WITH 1000 CACHE 2;
      INSERT INTO o VALUES (NEXTVAL(o_seq), 1), (NEXTVAL(o_seq), 2), (NEXTVAL(o_seq), 3)`);
    const err = await startPair(t, { once: true, ...schema }).done.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SEQUENCE_NOT_SYNCED', message: expect.stringMatching(/^o_seq is a SEQUENCE/),
      hint: expect.stringMatching(/sync edit PAIR --exclude o_seq/) });
    // the exclude is the fix: the rows that used NEXTVAL arrive, the sequence stays on the source
    await startPair(t, { once: true, pair: { schema: true, exclude: ['o_seq'] } }).done;
    await expectTablesEqual(t, ['o']);
    expect(await rows(t.target, 'SELECT CAST(COUNT(*) AS CHAR) AS n FROM o WHERE id >= 1000')).toEqual([{ n: '3' }]);
  });

  it('applies changes of sessions with binlog_row_image=MINIMAL and NOBLOB exactly, by whichever unique key the image carries', async () => {
    await t.source.query(`CREATE TABLE m (id INT PRIMARY KEY, a INT, b VARCHAR(10), c INT DEFAULT 7, tx TEXT);
      INSERT INTO m VALUES (1, 1, 'x', 1, 'one'), (2, 2, 'y', 2, 'two'), (3, 3, 'z', 3, 'three');
      CREATE TABLE two (zz INT NOT NULL, aa INT NOT NULL, v INT, UNIQUE KEY zz (zz), UNIQUE KEY aa (aa));
      INSERT INTO two VALUES (1, 10, 0), (2, 20, 0);
      CREATE TABLE nk (a INT, b INT, tx TEXT); INSERT INTO nk VALUES (1, 1, 'x'), (1, 1, 'x')`);
    await startPair(t, { once: true, ...schema }).done;
    for (const image of ['MINIMAL', 'NOBLOB']) {
      await t.source.query(`SET SESSION binlog_row_image = '${image}';
        UPDATE m SET a = a + 10 WHERE id = 1; UPDATE m SET tx = CONCAT(tx, '!') WHERE id = 3;
        DELETE FROM m WHERE id = 2; INSERT INTO m (id, b) VALUES (${image === 'MINIMAL' ? 4 : 5}, 'new');
        UPDATE two SET v = v + 1; DELETE FROM two WHERE zz = 2; INSERT INTO two VALUES (${image === 'MINIMAL' ? '3, 30' : '4, 40'}, 1);
        UPDATE nk SET b = b + 1 LIMIT 1;
        SET SESSION binlog_row_image = 'FULL'`);
      await startPair(t, { once: true, ...schema }).done;
      await expectTablesEqual(t, ['m', 'two', 'nk']);
    }
  });

  it('rolls back a snapshot chunk the target would load with a skipped row or a converted value', async () => {
    await t.source.query("CREATE TABLE l (id INT PRIMARY KEY, email VARCHAR(20)); INSERT INTO l VALUES (1, 'a@x'), (2, 'a@x'), (3, 'long-address@example')");
    await copyTableDefs(t, ['l']);
    // the target differs by hand: a unique key and a narrower column
    await t.target.query('ALTER TABLE l ADD UNIQUE KEY (email)');
    const err = await startPair(t, { once: true }).done.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SNAPSHOT_LOAD_REJECTED' });
    expect(await rows(t.target, 'SELECT CAST(COUNT(*) AS CHAR) AS n FROM l')).toEqual([{ n: '0' }]);
    await t.target.query('ALTER TABLE l DROP KEY email, MODIFY email VARCHAR(5)');
    await expect(startPair(t, { once: true }).done).rejects.toMatchObject({ code: 'SNAPSHOT_LOAD_REJECTED' });
    await t.target.query('ALTER TABLE l MODIFY email VARCHAR(20)');
    await startPair(t, { once: true }).done;
    await expectTablesEqual(t, ['l']);
  });

  it('lets only one runner apply a pair: a second sync run names the holder and exits 1', async () => {
    await t.source.query('CREATE TABLE r (id INT PRIMARY KEY)');
    t.writeConfig({ pair: { schema: true } });
    const first = spawn(process.execPath, [CLI, 'sync', 'run', 'p'], { env: t.env, stdio: 'ignore' });
    try {
      await t.source.query('INSERT INTO r VALUES (1)');
      await waitTablesEqual(t, ['r']);
      const second = await t.cli(['sync', 'run', 'p', '--once']);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`already being synced by .* \\(pid ${first.pid}\\) since 20`));
      expect(second.stderr).toMatch(/hint: .*Stop the other one/);
    } finally {
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
    }
    // the server released the killed holder's lock: the next runner proceeds
    await t.source.query('INSERT INTO r VALUES (2)');
    const next = await t.cli(['sync', 'run', 'p', '--once']);
    expect(next.code, next.stderr).toBe(0);
    await expectTablesEqual(t, ['r']);
  });
});
