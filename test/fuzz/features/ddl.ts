/**
 * DDL mixed with DML: add/drop/rename columns, table renames and the gh-ost / pt-osc swap
 * (`RENAME TABLE t TO t_old, t_new TO t`), short-lived staging tables, TRUNCATE,
 * CREATE ... SELECT, CREATE OR REPLACE, partition ADD/DROP/TRUNCATE/EXCHANGE. The DML
 * names only columns that every DDL keeps (id, v); statements hitting a table that is
 * being renamed simply fail on the source, as they would for an application.
 */
import { insertMany, ONE, q, rows, type Conn, type Feature, type Op } from './common.js';
import type { Rng } from '../prng.js';

const EXTRA = ['c1', 'c2', 'c3', 'c4'];

async function ddl(c: Conn, ...statements: string[]): Promise<{ txns: number; ddl: number }> {
  for (const s of statements) await q(c, s);
  return { txns: 0, ddl: statements.length };
}

const dmlDd: Op = async (c, r) => {
  const id = r.int(1, 3000);
  const k = r.int(0, 2);
  if (k === 0) await q(c, 'INSERT INTO dd (id, v) VALUES (?, ?)', [id, r.int(0, 99)]);
  else if (k === 1) await q(c, 'UPDATE dd SET v = v + 1 WHERE id BETWEEN ? AND ?', [id, id + 3]);
  else await q(c, 'DELETE FROM dd WHERE id = ?', [id]);
  return ONE;
};

const dmlOthers: Op = async (c, r) => {
  const k = r.int(0, 3);
  const renamed = r.pick(['dd2', 'dd2r']);
  if (k === 0) await q(c, `INSERT INTO ${renamed} (id, v) VALUES (?, ?)`, [r.int(1, 5000), r.int(0, 9)]);
  else if (k === 1) await q(c, 'INSERT INTO tr (v) VALUES (?), (?)', [r.int(0, 9), r.int(0, 9)]);
  else if (k === 2) await q(c, 'INSERT INTO pt (id, v) VALUES (?, ?)', [r.int(0, 9999), r.int(0, 9)]);
  else await q(c, 'UPDATE pt SET v = v + 1 WHERE id BETWEEN ? AND ?', [r.int(0, 9999), r.int(0, 9999)]);
  return ONE;
};

const column: Op = async (c, r) => {
  const a = r.pick(EXTRA);
  const b = r.pick(EXTRA);
  return r.weighted<() => Promise<{ txns: number; ddl: number }>>([
    [3, () => ddl(c, `ALTER TABLE dd ADD COLUMN ${a} VARCHAR(20) DEFAULT 'x${a}'${r.chance(0.5) ? ' FIRST' : ''}`)],
    [2, () => ddl(c, `ALTER TABLE dd DROP COLUMN ${a}`)],
    [2, () => ddl(c, `ALTER TABLE dd RENAME COLUMN ${a} TO ${b}`)],
    [1, () => ddl(c, `ALTER TABLE dd MODIFY v ${r.pick(['INT', 'BIGINT', 'INT UNSIGNED'])}`)],
    [1, () => ddl(c, r.chance(0.5) ? 'ALTER TABLE dd ADD INDEX iv (v)' : 'ALTER TABLE dd DROP INDEX iv')],
  ])();
};

/** gh-ost / pt-online-schema-change cut-over: copy, then swap names atomically, drop the old table. */
const swap: Op = async (c, r) => {
  const ghost = r.chance(0.5) ? '_dd_gho' : '_dd_new';
  await q(c, `DROP TABLE IF EXISTS ${ghost}, _dd_del`);
  await q(c, `CREATE TABLE ${ghost} LIKE dd`);
  await q(c, `INSERT INTO ${ghost} SELECT * FROM dd`);
  await q(c, `RENAME TABLE dd TO _dd_del, ${ghost} TO dd`);
  await q(c, 'DROP TABLE _dd_del');
  return { txns: 1, ddl: 5 };
};

const renameTable: Op = async (c, r) => (r.chance(0.5)
  ? ddl(c, 'RENAME TABLE dd2 TO dd2r') : ddl(c, 'ALTER TABLE dd2r RENAME TO dd2'));

/** A staging table created, used and dropped, as ETL jobs and migration tools do. */
const staging: Op = async (c, r) => {
  const name = `stg_${r.int(1, 3)}`;
  await q(c, `CREATE TABLE IF NOT EXISTS ${name} (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB`);
  await q(c, `INSERT INTO ${name} (id, v) VALUES (?, 'a'), (?, 'b')`, [r.int(1, 100), r.int(101, 200)]);
  await q(c, `UPDATE ${name} SET v = 'c'`);
  if (r.chance(0.7)) await q(c, `DROP TABLE ${name}`);
  return { txns: 2, ddl: 2 };
};

const truncate: Op = async (c) => ddl(c, 'TRUNCATE TABLE tr');

const createSelect: Op = async (c, r) => r.weighted<() => Promise<{ txns: number; ddl: number }>>([
  [2, () => ddl(c, 'DROP TABLE IF EXISTS cs',
    `CREATE TABLE cs (PRIMARY KEY (id)) AS SELECT id, v FROM dd WHERE id < ${r.int(1, 3000)}`)],
  [2, () => ddl(c,
    `CREATE OR REPLACE TABLE cs (PRIMARY KEY (id)) AS SELECT id, v * 2 AS v FROM dd2 LIMIT ${r.int(0, 50)}`)],
  [1, () => ddl(c, 'CREATE OR REPLACE TABLE cs (id INT PRIMARY KEY, w TEXT)')],
  [1, () => ddl(c, 'CREATE TABLE IF NOT EXISTS cs2 LIKE dd2')],
  [1, () => ddl(c, 'DROP TABLE IF EXISTS cs2')],
])();

interface Part { name: string; below: number }

async function partitionsOf(c: Conn): Promise<Part[]> {
  const got = await rows<{ name: string; d: string }>(c, `SELECT PARTITION_NAME AS name, PARTITION_DESCRIPTION AS d
    FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'pt'
    ORDER BY PARTITION_ORDINAL_POSITION`);
  return got.map((p) => ({ name: p.name, below: Number(p.d) }));
}

const partition: Op = async (c, r) => {
  const parts = await partitionsOf(c);
  const last = parts[parts.length - 1];
  if (!last) return;
  const some = r.pick(parts);
  return r.weighted<() => Promise<{ txns: number; ddl: number }>>([
    [2, () => ddl(c,
      `ALTER TABLE pt ADD PARTITION (PARTITION p${last.below / 1000} VALUES LESS THAN (${last.below + 1000}))`)],
    [1, () => (parts.length > 3 ? ddl(c, `ALTER TABLE pt DROP PARTITION ${some.name}`) : Promise.resolve(DDL_NONE))],
    [2, () => ddl(c, `ALTER TABLE pt TRUNCATE PARTITION ${some.name}`)],
    [2, () => exchange(c, some, r)],
  ])();
};

const DDL_NONE = { txns: 0, ddl: 0 };

/** EXCHANGE PARTITION with an unpartitioned copy; sometimes back again, else the copy is dropped. */
async function exchange(c: Conn, part: Part, r: Rng): Promise<{ txns: number; ddl: number }> {
  await q(c, 'DROP TABLE IF EXISTS pt_x');
  await q(c, 'CREATE TABLE pt_x LIKE pt');
  await q(c, 'ALTER TABLE pt_x REMOVE PARTITIONING');
  await q(c, `INSERT INTO pt_x (id, v) VALUES (?, 42)`, [part.below - 1]);
  await q(c, `ALTER TABLE pt EXCHANGE PARTITION ${part.name} WITH TABLE pt_x`);
  if (r.chance(0.5)) await q(c, `ALTER TABLE pt EXCHANGE PARTITION ${part.name} WITH TABLE pt_x`);
  else if (r.chance(0.5)) await q(c, 'DROP TABLE pt_x');
  return { txns: 1, ddl: 5 };
}

export const ddlFeature: Feature = {
  name: 'ddl',
  async setup(c, r) {
    await q(c, 'CREATE TABLE dd (id INT PRIMARY KEY, v INT, c1 VARCHAR(20) DEFAULT \'x\') ENGINE=InnoDB');
    await q(c, 'CREATE TABLE dd2 (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await q(c, 'CREATE TABLE tr (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB');
    const parts = Array.from({ length: 6 }, (_, k) => `PARTITION p${k} VALUES LESS THAN (${(k + 1) * 1000})`);
    await q(c, `CREATE TABLE pt (id INT NOT NULL, v INT, PRIMARY KEY (id)) ENGINE=InnoDB
      PARTITION BY RANGE (id) (${parts.join(', ')})`);
    await insertMany(c, 'dd', 'id, v', 2000, (i) => `(${i + 1}, ${r.int(0, 99)})`);
    await insertMany(c, 'dd2', 'id, v', 500, (i) => `(${i + 1}, ${r.int(0, 9)})`);
    await insertMany(c, 'pt', 'id, v', 3000, (i) => `(${i * 2}, ${r.int(0, 9)})`);
  },
  ops: [[4, dmlDd], [3, dmlOthers]],
  serialOps: [
    [4, column], [2, swap], [2, renameTable], [3, staging], [1, truncate], [2, createSelect], [3, partition],
  ],
};
