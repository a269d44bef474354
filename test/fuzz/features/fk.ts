/** Foreign keys: ON DELETE/UPDATE CASCADE chains three levels deep and SET NULL (cascades are not in the binlog). */
import { insertMany, ONE, q, txn, type Feature, type Op } from './common.js';

const PARENTS = 400;

const insertFamily: Op = async (c, r) => txn(c, async () => {
  const p = r.int(1, PARENTS * 2);
  await q(c, 'INSERT IGNORE INTO fk_p (id, v) VALUES (?, ?)', [p, r.int(0, 100)]);
  const child = r.int(1, 100_000);
  await q(c, 'INSERT INTO fk_c (id, pid, v) VALUES (?, ?, ?)', [child, p, r.int(0, 100)]);
  if (r.chance(0.7)) await q(c, 'INSERT INTO fk_g (id, cid) VALUES (?, ?)', [r.int(1, 1_000_000), child]);
  if (r.chance(0.5)) await q(c, 'INSERT INTO fk_n (id, pid) VALUES (?, ?)', [r.int(1, 100_000), p]);
});

const deleteParent: Op = async (c, r) => {
  await q(c, 'DELETE FROM fk_p WHERE id = ?', [r.int(1, PARENTS * 2)]);
  return ONE;
};

/** ON UPDATE CASCADE: the parent's key moves, children follow (and SET NULL children keep the new key). */
const moveParent: Op = async (c, r) => {
  await q(c, 'UPDATE fk_p SET id = ? WHERE id = ?', [r.int(1, PARENTS * 2), r.int(1, PARENTS * 2)]);
  return ONE;
};

const moveChild: Op = async (c, r) => txn(c, async () => {
  await q(c, 'UPDATE fk_c SET id = id + 100000 WHERE id = ?', [r.int(1, 100_000)]);
  await q(c, 'DELETE FROM fk_c WHERE pid = ? LIMIT 1', [r.int(1, PARENTS * 2)]);
  if (r.chance(0.3)) await q(c, 'DELETE FROM fk_p WHERE id = ?', [r.int(1, PARENTS * 2)]);
});

export const fkFeature: Feature = {
  name: 'fk',
  async setup(c, r) {
    await q(c, 'CREATE TABLE fk_p (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await q(c, `CREATE TABLE fk_c (id INT PRIMARY KEY, pid INT NOT NULL, v INT,
      FOREIGN KEY (pid) REFERENCES fk_p (id) ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB`);
    await q(c, `CREATE TABLE fk_g (id INT PRIMARY KEY, cid INT,
      FOREIGN KEY (cid) REFERENCES fk_c (id) ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB`);
    await q(c, `CREATE TABLE fk_n (id INT PRIMARY KEY, pid INT NULL,
      FOREIGN KEY (pid) REFERENCES fk_p (id) ON DELETE SET NULL ON UPDATE CASCADE) ENGINE=InnoDB`);
    await insertMany(c, 'fk_p', 'id, v', PARENTS, (i) => `(${i + 1}, ${r.int(0, 100)})`);
    await insertMany(c, 'fk_c', 'id, pid, v', 2000, (i) => `(${i + 1}, ${r.int(1, PARENTS)}, ${r.int(0, 9)})`);
    await insertMany(c, 'fk_g', 'id, cid', 3000, (i) => `(${i + 1}, ${r.int(1, 2000)})`);
    await insertMany(c, 'fk_n', 'id, pid', 1000, (i) => `(${i + 1}, ${r.int(1, PARENTS)})`);
  },
  ops: [[4, insertFamily], [2, deleteParent], [2, moveParent], [2, moveChild]],
};
