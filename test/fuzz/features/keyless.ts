/** Tables without any key, with duplicate rows (and NULLs): updates and deletes of one of several equal rows. */
import { insertMany, ONE, q, txn, type Feature, type Op } from './common.js';

const dup: Op = async (c, r) => {
  const a = r.int(0, 30);
  const b = r.chance(0.2) ? null : `v${r.int(0, 3)}`;
  const n = r.int(1, 4);
  await q(c, `INSERT INTO kl (a, b, c) VALUES ${Array(n).fill('(?, ?, ?)').join(',')}`,
    Array.from({ length: n }, () => [a, b, 1.5]).flat());
  return ONE;
};

const deleteOne: Op = async (c, r) => {
  await q(c, 'DELETE FROM kl WHERE a = ? LIMIT 1', [r.int(0, 30)]);
  return ONE;
};

const updateOne: Op = async (c, r) => txn(c, async () => {
  await q(c, 'UPDATE kl SET c = c + 1 WHERE a = ? LIMIT 1', [r.int(0, 30)]);
  const b = r.chance(0.5) ? null : 'v1';
  await q(c, 'UPDATE kl SET b = ? WHERE a = ? AND b <=> ?', [`w${r.int(0, 3)}`, r.int(0, 30), b]);
});

export const keylessFeature: Feature = {
  name: 'keyless',
  async setup(c, r) {
    await q(c, 'CREATE TABLE kl (a INT, b VARCHAR(10), c DOUBLE) ENGINE=InnoDB');
    await insertMany(c, 'kl', 'a, b, c', 2000, () => `(${r.int(0, 30)}, 'v${r.int(0, 3)}', 1.5)`);
  },
  ops: [[3, dup], [2, deleteOne], [2, updateOne]],
};
