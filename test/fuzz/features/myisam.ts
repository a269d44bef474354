/**
 * Non-transactional tables. docs/data.md: MyISAM/Aria tables with a key are applied
 * idempotently by key (a replay after kill -9 converges); without a key they cannot be
 * (a documented limitation the comparison expects, see compare.ts).
 */
import { ONE, q, txn, type Feature, type Op } from './common.js';

const write: Op = async (c, r) => {
  const id = r.int(1, 500);
  const k = r.int(0, 2);
  if (k === 0) {
    await q(c, 'INSERT INTO my (id, v, s) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE v = v + 1',
      [id, r.int(0, 99), `s${id}`]);
  } else if (k === 1) {
    await q(c, 'UPDATE my SET v = v * 2, s = CONCAT(s, ?) WHERE id BETWEEN ? AND ?', ['.', id, id + 5]);
  }
  else await q(c, 'DELETE FROM my WHERE id = ?', [id]);
  return ONE;
};

/** InnoDB and MyISAM in one transaction: a ROLLBACK keeps the MyISAM change (the source logs it with ROLLBACK). */
const mixed: Op = async (c, r) => {
  const rollback = r.chance(0.4);
  await q(c, 'START TRANSACTION');
  try {
    await q(c, 'INSERT INTO my_i (id, v) VALUES (?, ?)', [r.int(1, 1_000_000), r.int(0, 9)]);
    await q(c, 'UPDATE my SET v = v + 1 WHERE id = ?', [r.int(1, 500)]);
    await q(c, 'INSERT INTO my_i (id, v) VALUES (?, ?)', [r.int(1, 1_000_000), r.int(0, 9)]);
    await q(c, rollback ? 'ROLLBACK' : 'COMMIT');
  } catch (err) {
    await q(c, 'ROLLBACK').catch(() => undefined);
    throw err;
  }
  return ONE;
};

const keyless: Op = async (c, r) => {
  if (r.chance(0.6)) await q(c, 'INSERT INTO my_kl (a, b) VALUES (?, 1), (?, 1)', [r.int(0, 20), r.int(0, 20)]);
  else await q(c, 'DELETE FROM my_kl WHERE a = ? LIMIT 1', [r.int(0, 20)]);
  return ONE;
};

const aria: Op = async (c, r) => txn(c, async () => {
  await q(c, 'REPLACE INTO ar (id, v) VALUES (?, ?)', [r.int(1, 200), r.int(0, 1000)]);
});

export const myisamFeature: Feature = {
  name: 'myisam',
  async setup(c) {
    await q(c, 'CREATE TABLE my (id INT PRIMARY KEY, v INT, s VARCHAR(200)) ENGINE=MyISAM');
    await q(c, 'CREATE TABLE my_i (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await q(c, 'CREATE TABLE my_kl (a INT, b INT) ENGINE=MyISAM');
    await q(c, 'CREATE TABLE ar (id INT PRIMARY KEY, v INT) ENGINE=Aria');
    await q(c, `INSERT INTO my (id, v, s) SELECT seq, seq % 7, CONCAT('s', seq) FROM seq_1_to_300`);
  },
  ops: [[4, write], [3, mixed], [2, keyless], [1, aria]],
};
