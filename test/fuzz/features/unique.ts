/** Unique values moving and swapping between rows (in one transaction or one statement). */
import { insertMany, ONE, q, rows, txn, utf8, type Feature, type Op } from './common.js';

const ROWS = 300;
const WORDS = ['abc', 'ABC', 'Straße', 'STRASSE', 'é', 'E', 'x😀', 'ß', 'ss', 'a b', 'a b '];

const swap: Op = async (c, r) => txn(c, async () => {
  const [a, b] = [r.int(1, ROWS), r.int(1, ROWS)];
  const got = await rows<{ id: number; u: number | null }>(c,
    'SELECT id, u FROM uq WHERE id IN (?, ?) FOR UPDATE', [a, b]);
  const ua = got.find((x) => x.id === a)?.u ?? null;
  const ub = got.find((x) => x.id === b)?.u ?? null;
  await q(c, 'UPDATE uq SET u = NULL WHERE id = ?', [a]);
  await q(c, 'UPDATE uq SET u = ? WHERE id = ?', [ua, b]);
  await q(c, 'UPDATE uq SET u = ? WHERE id = ?', [ub, a]);
});

/** One statement moving every value up or down by one, in the order that never collides. */
const shift: Op = async (c, r) => {
  const up = r.chance(0.5);
  await q(c, `UPDATE uq SET u = u ${up ? '+' : '-'} 1 WHERE u IS NOT NULL ORDER BY u ${up ? 'DESC' : 'ASC'}`);
  return ONE;
};

/** A case-insensitive unique string moves to another row with another case or accent. */
const moveWord: Op = async (c, r) => txn(c, async () => {
  const w = r.pick(WORDS);
  await q(c, `UPDATE uq SET s = NULL WHERE s = ${utf8(w)}`);
  await q(c, `UPDATE uq SET s = ${utf8(r.pick(WORDS))} WHERE id = ?`, [r.int(1, ROWS)]);
});

/** Delete a row and give its unique value to a new row in the same transaction. */
const reuse: Op = async (c, r) => txn(c, async () => {
  const id = r.int(1, ROWS);
  const [row] = await rows<{ u: number | null }>(c, 'SELECT u FROM uq WHERE id = ? FOR UPDATE', [id]);
  await q(c, 'DELETE FROM uq WHERE id = ?', [id]);
  await q(c, 'INSERT INTO uq (id, u, v) VALUES (?, ?, ?)', [id, row?.u ?? r.int(1, 10_000), r.int(0, 9)]);
});

export const uniqueFeature: Feature = {
  name: 'unique',
  async setup(c) {
    await q(c, `CREATE TABLE uq (id INT PRIMARY KEY, u INT NULL UNIQUE,
      s VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NULL UNIQUE, v INT) ENGINE=InnoDB`);
    await insertMany(c, 'uq', 'id, u, v', ROWS, (i) => `(${i + 1}, ${(i + 1) * 3}, 0)`);
  },
  ops: [[4, swap], [2, shift], [2, moveWord], [2, reuse]],
};
