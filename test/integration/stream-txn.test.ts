/**
 * Transactions in the change stream, compared with the source (server-side renderings):
 * FK cascades the binlog does not carry, savepoints, a transaction mixing InnoDB and
 * MyISAM, XA, a transaction bigger than the target's max_allowed_packet, and a source
 * transaction never becoming visible on the target in part.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, rootConnection, type TestContext } from '../helpers/context.js';
import { rows, startPair, waitTablesEqual } from '../helpers/data-fixtures.js';

describe('transactions in the stream', () => {
  let t: TestContext;
  beforeEach(async () => { t = await createContext('stxn'); });
  afterEach(async () => { await t.close(); });

  const schemaPair = { pair: { schema: true } };

  it('applies FK cascades the binlog does not carry (ON DELETE CASCADE, SET NULL, ON UPDATE CASCADE, three levels)', async () => {
    await t.source.query(`
      CREATE TABLE p (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
      CREATE TABLE c (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES p(id) ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB;
      CREATE TABLE g (id INT PRIMARY KEY, cid INT, FOREIGN KEY (cid) REFERENCES c(id) ON DELETE CASCADE) ENGINE=InnoDB;
      CREATE TABLE n (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES p(id) ON DELETE SET NULL ON UPDATE CASCADE) ENGINE=InnoDB;
      INSERT INTO p VALUES (1,1),(2,2),(3,3);
      INSERT INTO c VALUES (10,1),(11,2),(12,3);
      INSERT INTO g VALUES (100,10),(101,11),(102,12);
      INSERT INTO n VALUES (1000,1),(1001,2)`);
    const run = startPair(t, schemaPair);
    try {
      await waitTablesEqual(t, ['p', 'c', 'g', 'n']);
      await t.source.query('DELETE FROM p WHERE id = 1');
      await t.source.query('UPDATE p SET id = 20 WHERE id = 2');
      await t.source.query('START TRANSACTION; DELETE FROM c WHERE id = 12; UPDATE p SET id = 30 WHERE id = 3; COMMIT');
      await waitTablesEqual(t, ['p', 'c', 'g', 'n']);
    } finally {
      await run.stop();
    }
    expect(await rows(t.target, 'SELECT id, pid FROM c ORDER BY id')).toEqual([{ id: 11, pid: 20 }]);
    expect(await rows(t.target, 'SELECT id, pid FROM n ORDER BY id')).toEqual([{ id: 1000, pid: null }, { id: 1001, pid: 20 }]);
  });

  it('cascades FK changes after a resumed snapshot (the chunk loader turned FK checks off)', async () => {
    // found by the fuzzer: the applier believed foreign_key_checks was still 1 after the copy set it to 0
    await t.source.query(`
      CREATE TABLE a_first (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
      CREATE TABLE p (id INT PRIMARY KEY) ENGINE=InnoDB;
      CREATE TABLE c (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES p(id) ON DELETE CASCADE) ENGINE=InnoDB;
      INSERT INTO a_first VALUES (1, 0);
      INSERT INTO p SELECT seq FROM seq_1_to_20;
      INSERT INTO c SELECT seq, seq FROM seq_1_to_20`);
    t.writeConfig({ pair: { schema: true, routines: false } });
    // a_first fits one chunk: it is done when the process dies after its first chunk
    const crashAt = { DB_SYNC_CRASH_POINT: 'snapshot.after-chunk-commit:1' };
    const crashed = await t.cli(['sync', 'run', 'p'], { env: crashAt });
    expect(crashed.code).not.toBe(0);
    await t.source.query('UPDATE a_first SET v = 1'); // the catch-up applies it with FK checks on
    const run = startPair(t, schemaPair);
    try {
      await waitTablesEqual(t, ['a_first', 'p', 'c']);
      await t.source.query('DELETE FROM p WHERE id <= 5');
      await waitTablesEqual(t, ['a_first', 'p', 'c']);
    } finally {
      await run.stop();
    }
    expect(await rows(t.target, 'SELECT COUNT(*) AS n FROM c')).toEqual([{ n: '15' }]);
  });

  it('honours SAVEPOINT and ROLLBACK TO SAVEPOINT when MyISAM changes were logged after the savepoint', async () => {
    await t.source.query('CREATE TABLE i (id INT PRIMARY KEY) ENGINE=InnoDB; CREATE TABLE m (id INT PRIMARY KEY) ENGINE=MyISAM');
    const run = startPair(t, schemaPair);
    try {
      await waitTablesEqual(t, ['i', 'm']);
      await t.source.query(`START TRANSACTION; INSERT INTO i VALUES (1); SAVEPOINT a; INSERT INTO i VALUES (2);
        INSERT INTO m VALUES (1); ROLLBACK TO SAVEPOINT a; INSERT INTO i VALUES (3); COMMIT`);
      await t.source.query('START TRANSACTION; INSERT INTO i VALUES (4); INSERT INTO m VALUES (2); ROLLBACK');
      await t.source.query('INSERT INTO i VALUES (5)');
      await waitTablesEqual(t, ['i', 'm']);
    } finally {
      await run.stop();
    }
    expect((await rows<{ id: number }>(t.target, 'SELECT id FROM i ORDER BY id')).map((r) => r.id)).toEqual([1, 3, 5]);
    expect((await rows<{ id: number }>(t.target, 'SELECT id FROM m ORDER BY id')).map((r) => r.id)).toEqual([1, 2]);
  });

  it('applies grouped source transactions when one of them wrote an Aria table (no SAVEPOINT after it)', async () => {
    // found by the fuzzer (seed 2): a target transaction that wrote Aria refuses SAVEPOINT, which
    // the next grouped source transaction sets where it begins
    await t.source.query(`CREATE TABLE i (id INT PRIMARY KEY) ENGINE=InnoDB;
      CREATE TABLE ar (id INT PRIMARY KEY, v INT) ENGINE=Aria`);
    await startPair(t, { once: true, ...schemaPair }).done;
    for (let k = 0; k < 20; k++) {
      await t.source.query(`INSERT INTO i VALUES (${k}); REPLACE INTO ar VALUES (${k % 3}, ${k});
        INSERT INTO i VALUES (${k + 100})`);
      await t.source.query(`START TRANSACTION; REPLACE INTO ar VALUES (${k % 5}, ${k});
        INSERT INTO i VALUES (${k + 200}); ROLLBACK`);
    }
    await startPair(t, { once: true, ...schemaPair }).done;
    await waitTablesEqual(t, ['i', 'ar']);
  });

  it('keeps streaming when a keyless MyISAM table drifted, as documented, instead of stopping', async () => {
    // found by the fuzzer (seed 1): such a table is copied outside the consistent read, so a
    // DELETE from the stream may find its row gone; the pair stopped with TARGET_ROW_MISSING
    await t.source.query(`CREATE TABLE m (a INT, b INT) ENGINE=MyISAM;
      CREATE TABLE i (id INT PRIMARY KEY) ENGINE=InnoDB;
      INSERT INTO m VALUES (1, 1), (1, 1), (2, 2)`);
    await startPair(t, { once: true, ...schemaPair }).done;
    await t.target.query('DELETE FROM m WHERE a = 2'); // the drift the documentation describes
    await t.source.query('DELETE FROM m WHERE a = 2; DELETE FROM m WHERE a = 1 LIMIT 1; INSERT INTO i VALUES (1)');
    const run = startPair(t, { once: true, ...schemaPair });
    await run.done;
    await waitTablesEqual(t, ['m', 'i']);
    expect(run.status.current().warnings.join('\n')).toMatch(/table m has no primary key/);
  });

  it('refuses an XA transaction on a synced table with XA_UNSUPPORTED, and applies XA ... ONE PHASE', async () => {
    await t.source.query('CREATE TABLE x (id INT PRIMARY KEY)');
    await startPair(t, { once: true, ...schemaPair }).done;
    await t.source.query("XA START 'one'; INSERT INTO x VALUES (1); XA END 'one'; XA COMMIT 'one' ONE PHASE");
    await startPair(t, { once: true, ...schemaPair }).done;
    await waitTablesEqual(t, ['x']);
    await t.source.query("XA START 'two'; INSERT INTO x VALUES (2); XA END 'two'; XA PREPARE 'two'; XA COMMIT 'two'");
    await expect(startPair(t, { once: true, ...schemaPair }).done).rejects.toMatchObject({ code: 'XA_UNSUPPORTED', hint: expect.stringMatching(/--recopy/) });
    expect((await rows<{ id: number }>(t.target, 'SELECT id FROM x ORDER BY id')).map((r) => r.id)).toEqual([1]);
  });

  it('applies a transaction of three 6 MB rows into a target whose max_allowed_packet is 16 MB', async () => {
    const [packet] = await rows<{ p: string }>(t.target, 'SELECT @@max_allowed_packet AS p');
    expect(Number(packet?.p)).toBe(16 << 20);
    await t.source.query('CREATE TABLE big (id INT PRIMARY KEY, b LONGBLOB, t LONGTEXT)');
    await startPair(t, { once: true, ...schemaPair }).done;
    const six = 6 << 20;
    await t.source.query(`START TRANSACTION;
      INSERT INTO big VALUES (1, REPEAT(X'00275C0A', ${six / 4}), NULL);
      INSERT INTO big VALUES (2, RANDOM_BYTES(1024), REPEAT('é', ${six / 2}));
      INSERT INTO big VALUES (3, REPEAT(X'FF', ${six}), NULL);
      UPDATE big SET t = REPEAT('x', ${six}) WHERE id = 1;
      COMMIT`);
    await startPair(t, { once: true, ...schemaPair }).done;
    const digest = 'SELECT id, SHA2(b, 256) AS b, SHA2(t, 256) AS t, LENGTH(b) AS lb, LENGTH(t) AS lt FROM big ORDER BY id';
    expect(await rows(t.target, digest)).toEqual(await rows(t.source, digest));
  });

  it('copies in the snapshot a row whose rendering is larger than the source\'s max_allowed_packet', async () => {
    // found by the fuzzer (seed 3): 6 MB of bytes (12 MB as hex) and 5 MB of text made the
    // source render the row's LOAD DATA line as NULL, and the chunk was refused
    await t.source.query(`CREATE TABLE big (id INT PRIMARY KEY, n INT, b LONGBLOB, t LONGTEXT);
      INSERT INTO big VALUES (1, 0, REPEAT(X'00275C0A', ${(6 << 20) / 4}), REPEAT('é', ${5 << 19})),
        (2, 1, X'00', 'small')`);
    await startPair(t, { once: true, ...schemaPair }).done;
    const digest = 'SELECT id, n, SHA2(b, 256) AS b, SHA2(t, 256) AS t, LENGTH(b) AS lb, LENGTH(t) AS lt FROM big';
    expect(await rows(t.target, digest)).toEqual(await rows(t.source, digest));
  });

  it('stops with TARGET_ROW_MISSING when an UPDATE or DELETE finds no row, committing none of its txn', async () => {
    await t.source.query('CREATE TABLE g (id INT PRIMARY KEY, v INT); INSERT INTO g SELECT seq, 0 FROM seq_1_to_9');
    await startPair(t, { once: true, ...schemaPair }).done;
    const checkpoint = "SELECT state FROM _db_sync_checkpoint WHERE pair_name = 'p' AND stream = 'binlog'";
    await t.target.query('DELETE FROM g WHERE id IN (2, 3)'); // diverged by hand
    for (const [k, change] of [[2, 'UPDATE g SET v = 1 WHERE id = 2'], [3, 'DELETE FROM g WHERE id = 3']] as const) {
      const [before] = await rows<{ state: string }>(t.target, checkpoint);
      await t.source.query(`START TRANSACTION; UPDATE g SET v = v + 1 WHERE id = 1; INSERT INTO g VALUES (${k * 10}, 0);
        ${change}; INSERT INTO g VALUES (${k * 10 + 1}, 0); COMMIT`);
      await expect(startPair(t, { once: true, ...schemaPair }).done).rejects.toMatchObject({
        code: 'TARGET_ROW_MISSING', message: expect.stringContaining(`g (id=${k})`) });
      const seen = await rows(t.target, `SELECT id, v FROM g WHERE id IN (1, ${k * 10}, ${k * 10 + 1})`);
      expect(seen).toEqual([{ id: 1, v: k - 2 }]);
      expect(await rows(t.target, checkpoint)).toEqual([before]);
      await t.target.query(`INSERT INTO g VALUES (${k}, 0)`); // repaired by hand: the pair goes on
      await startPair(t, { once: true, ...schemaPair }).done;
    }
    await waitTablesEqual(t, ['g']);
  });

  it('never shows part of a source transaction on the target', async () => {
    await t.source.query('CREATE TABLE a (id INT PRIMARY KEY, pad VARCHAR(200)); CREATE TABLE b (id INT PRIMARY KEY, pad VARCHAR(200))');
    await startPair(t, { once: true, ...schemaPair }).done;
    const run = startPair(t, schemaPair);
    const watcher = await rootConnection(t.ports.target, t.targetDb);
    const seen = new Set<string>();
    let watching = true;
    const watch = (async () => {
      await watcher.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
      while (watching) {
        const [[r]] = (await watcher.query('SELECT (SELECT COUNT(*) FROM a) AS a, (SELECT COUNT(*) FROM b) AS b')) as unknown as [[{ a: number; b: number }]];
        seen.add(`${r.a}/${r.b}`);
      }
    })();
    try {
      await waitTablesEqual(t, ['a', 'b']);
      // each transaction: 2000 rows into a, then 2000 into b, in many row events
      for (let k = 0; k < 5; k++) {
        await t.source.query(`START TRANSACTION;
          INSERT INTO a SELECT seq + ${k * 2000}, REPEAT('a', 200) FROM seq_1_to_2000;
          INSERT INTO b SELECT seq + ${k * 2000}, REPEAT('b', 200) FROM seq_1_to_2000;
          COMMIT`);
      }
      await waitTablesEqual(t, ['a', 'b']);
    } finally {
      watching = false;
      await watch;
      await watcher.end();
      await run.stop();
    }
    const partial = [...seen].filter((s) => { const [x, y] = s.split('/').map(Number); return x !== y; });
    expect(partial, 'counts of a/b seen on the target while applying').toEqual([]);
  });
});
