/**
 * Rows of several MB (within max_allowed_packet) and transactions bigger than it
 * (three 6 MB rows: 18 MB against the default 16 MB packet). Serial and rare: the binlog grows fast.
 */
import { ONE, q, txn, type Feature, type Op } from './common.js';

const MB = 1 << 20;

const bigRow: Op = async (c, r) => {
  const id = r.int(1, 6);
  const n = r.int(1, 6) * MB;
  await q(c, 'DELETE FROM bg WHERE id = ?', [id]);
  await q(c, `INSERT INTO bg (id, b, t) VALUES (?, REPEAT(X'00275C0A', ?), IF(? , REPEAT(_utf8mb4 X'C3A9', ?), NULL))`,
    [id, n / 4, r.chance(0.5) ? 1 : 0, r.int(1, 3 * MB / 2)]);
  return ONE;
};

const bigUpdate: Op = async (c, r) => {
  await q(c, `UPDATE bg SET t = REPEAT('x', ?), n = n + 1 WHERE id = ?`, [r.int(1, 5) * MB, r.int(1, 6)]);
  return ONE;
};

const bigTxn: Op = async (c, r) => txn(c, async () => {
  const base = r.int(1, 6);
  for (let k = 0; k < 3; k++) {
    const id = ((base + k) % 6) + 1;
    await q(c, 'DELETE FROM bg WHERE id = ?', [id]);
    await q(c, 'INSERT INTO bg (id, b) VALUES (?, REPEAT(?, ?))', [id, String.fromCharCode(65 + k), 6 * MB]);
  }
});

/** A small DML op on the same table, so the stream interleaves it with the big ones. */
const touch: Op = async (c, r) => {
  await q(c, 'UPDATE bg SET n = n + 1 WHERE id = ?', [r.int(1, 6)]);
  return ONE;
};

export const bigFeature: Feature = {
  name: 'big',
  async setup(c) {
    await q(c, 'CREATE TABLE bg (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0, b LONGBLOB, t LONGTEXT) ENGINE=InnoDB');
    await q(c, `INSERT INTO bg (id, b) VALUES (1, REPEAT(X'FF00', ${2 * MB}))`);
  },
  ops: [[1, touch]],
  serialOps: [[3, bigRow], [2, bigUpdate], [1, bigTxn]],
};
