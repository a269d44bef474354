/**
 * Statements applications use that the other features do not: temporary staging tables (not
 * in a ROW binlog; what they feed arrives as rows), one that shadows a real table's name, multi-table
 * UPDATE and DELETE, INSERT ... SELECT, REPLACE, and CREATE TABLE ... SELECT from a temporary
 * table. Each connection keeps its temporary tables until it drops them or ends.
 */
import { DDL, insertMany, ONE, q, txn, type Feature, type Op } from './common.js';

const ROWS = 800;

/** Rows staged in a temporary table, then merged into mx_b in one transaction. */
const staging: Op = async (c, r) => {
  await q(c, 'CREATE TEMPORARY TABLE IF NOT EXISTS mx_tmp (id INT PRIMARY KEY, v INT)');
  await q(c, 'DELETE FROM mx_tmp');
  const from = r.int(1, ROWS * 2);
  await q(c, 'INSERT INTO mx_tmp SELECT id + ?, v FROM mx_a WHERE id BETWEEN ? AND ?', [from, from, from + 20]);
  await txn(c, async () => {
    await q(c, `INSERT INTO mx_b (id, a_id, v) SELECT id, id - ?, v FROM mx_tmp
      ON DUPLICATE KEY UPDATE v = mx_b.v + VALUES(v)`, [from]);
    if (r.chance(0.3)) await q(c, 'DELETE mx_b FROM mx_b JOIN mx_tmp USING (id) WHERE mx_tmp.v % 3 = 0');
  });
  if (r.chance(0.5)) await q(c, 'DROP TEMPORARY TABLE mx_tmp');
  return ONE;
};

/**
 * A temporary table with a real table's name hides it in this session: the writes go to the
 * temporary one and must not reach the real mx_a anywhere. DROP TABLE drops the temporary one.
 */
const shadow: Op = async (c, r) => {
  await q(c, 'CREATE TEMPORARY TABLE mx_a (id INT PRIMARY KEY, v INT, w INT)');
  try {
    await q(c, 'INSERT INTO mx_a VALUES (?, ?, 0), (?, ?, 1)', [r.int(1, ROWS), r.int(0, 9), ROWS + r.int(1, 99), 7]);
    await q(c, 'UPDATE mx_a SET v = v + 100');
    await q(c, 'INSERT IGNORE INTO mx_b (id, a_id, v) SELECT id + 50000, id, v FROM mx_a');
  } finally {
    await q(c, r.chance(0.5) ? 'DROP TABLE mx_a' : 'DROP TEMPORARY TABLE mx_a');
  }
  return ONE;
};

const multiUpdate: Op = async (c, r) => {
  const id = r.int(1, ROWS * 2);
  await q(c, `UPDATE mx_a JOIN mx_b ON mx_b.a_id = mx_a.id SET mx_a.w = mx_a.w + 1, mx_b.v = mx_b.v - 1
    WHERE mx_a.id BETWEEN ? AND ?`, [id, id + 10]);
  return ONE;
};

const multiDelete: Op = async (c, r) => {
  const id = r.int(1, ROWS * 2);
  if (r.chance(0.5)) {
    await q(c, 'DELETE mx_b FROM mx_b JOIN mx_a ON mx_a.id = mx_b.a_id WHERE mx_a.id BETWEEN ? AND ? AND mx_a.w % 2 = 0',
      [id, id + 5]);
  } else {
    await q(c, 'DELETE mx_a, mx_b FROM mx_a LEFT JOIN mx_b ON mx_b.a_id = mx_a.id WHERE mx_a.id = ?', [id]);
  }
  return ONE;
};

const upsert: Op = async (c, r) => {
  const id = r.int(1, ROWS * 2);
  if (r.chance(0.5)) await q(c, 'REPLACE INTO mx_a (id, v, w) VALUES (?, ?, ?)', [id, r.int(0, 99), r.int(0, 9)]);
  else await q(c, 'INSERT INTO mx_a (id, v, w) VALUES (?, ?, 0) ON DUPLICATE KEY UPDATE v = v + 1', [id, r.int(0, 99)]);
  return ONE;
};

/** CREATE TABLE ... SELECT from a temporary table (logged as CREATE TABLE plus rows), dropped later. */
const createSelect: Op = async (c, r) => {
  await q(c, 'DROP TABLE IF EXISTS mx_c');
  await q(c, 'CREATE TEMPORARY TABLE IF NOT EXISTS mx_ctmp (id INT PRIMARY KEY, v INT)');
  await q(c, 'REPLACE INTO mx_ctmp SELECT id, v FROM mx_a WHERE id BETWEEN ? AND ?', [r.int(1, 100), r.int(100, 400)]);
  await q(c, 'CREATE TABLE mx_c (id INT PRIMARY KEY, v INT) SELECT id, v FROM mx_ctmp');
  // one DROP naming a temporary and a real table: the binlog names only the real one
  if (r.chance(0.5)) await q(c, 'DROP TABLE mx_ctmp, mx_c');
  return DDL;
};

export const mixFeature: Feature = {
  name: 'mix',
  async setup(c, r) {
    await q(c, 'CREATE TABLE mx_a (id INT PRIMARY KEY, v INT, w INT) ENGINE=InnoDB');
    await q(c, 'CREATE TABLE mx_b (id INT PRIMARY KEY, a_id INT, v INT, KEY (a_id)) ENGINE=InnoDB');
    await insertMany(c, 'mx_a', 'id, v, w', ROWS, (i) => `(${i + 1}, ${r.int(0, 99)}, 0)`);
    await insertMany(c, 'mx_b', 'id, a_id, v', ROWS, (i) => `(${i + 1}, ${r.int(1, ROWS)}, ${r.int(0, 9)})`);
  },
  ops: [[3, staging], [1, shadow], [2, multiUpdate], [2, multiDelete], [3, upsert]],
  serialOps: [[1, createSelect]],
};
