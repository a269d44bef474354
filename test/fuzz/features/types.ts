/** Every column type at its edges, inserted, updated column by column and deleted. */
import { ONE, q, type Feature, type Op } from './common.js';
import { literal, TYPE_COLUMNS } from './type-values.js';
import type { Rng } from '../prng.js';

const IDS = 600;

function insertSql(r: Rng, id: number): string {
  const cols = TYPE_COLUMNS.filter(() => r.chance(0.8));
  const values = cols.map(([, , g]) => `, ${literal(g, r)}`).join('');
  return `INSERT INTO ty (id${cols.map(([n]) => `, ${n}`).join('')}) VALUES (${id}${values})`;
}

const insert: Op = async (c, r) => {
  await q(c, insertSql(r, r.int(1, IDS)));
  return ONE;
};

const update: Op = async (c, r) => {
  const cols = TYPE_COLUMNS.filter(() => r.chance(0.2));
  if (!cols.length) return;
  const set = cols.map(([n, , g]) => `${n} = ${literal(g, r)}`).join(', ');
  await q(c, `UPDATE ty SET ${set} WHERE id = ?`, [r.int(1, IDS)]);
  return ONE;
};

const remove: Op = async (c, r) => {
  await q(c, 'DELETE FROM ty WHERE id = ?', [r.int(1, IDS)]);
  return ONE;
};

export const typesFeature: Feature = {
  name: 'types',
  async setup(c, r) {
    const cols = TYPE_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ');
    await q(c, `CREATE TABLE ty (id INT PRIMARY KEY, ${cols}) ENGINE=InnoDB`);
    for (let id = 1; id <= IDS / 2; id++) await q(c, insertSql(r, id));
  },
  ops: [[3, insert], [5, update], [2, remove]],
};
