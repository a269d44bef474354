/**
 * Programmable objects next to the data: triggers that rewrite a row and write an audit row
 * (in ROW format both arrive as row events; db-sync's guarded copies must not fire again), a
 * procedure and a function doing or feeding DML, writes through an updatable view, and an event
 * the source's scheduler runs every second (on the target it must stay disabled, its rows
 * arrive from the binlog). The serial worker re-creates them while the DML runs; the comparison
 * (compare.ts) checks the objects as well as the tables.
 */
import { DDL, insertMany, ONE, q, txn, type Feature, type Op } from './common.js';

const ROWS = 600;

const AUDIT = (op: string, row: string) =>
  `INSERT INTO ob_audit (ob_id, op, v) VALUES (${row}.id, '${op}', ${row}.v)`;

const TRIGGERS: Record<string, string> = {
  ob_bi: 'BEFORE INSERT ON ob FOR EACH ROW SET NEW.n = COALESCE(NEW.v, 0) * 2',
  ob_bu: 'BEFORE UPDATE ON ob FOR EACH ROW SET NEW.n = NEW.n + 1',
  ob_ai: `AFTER INSERT ON ob FOR EACH ROW ${AUDIT('i', 'NEW')}`,
  ob_au: `AFTER UPDATE ON ob FOR EACH ROW ${AUDIT('u', 'NEW')}`,
  ob_ad: `AFTER DELETE ON ob FOR EACH ROW ${AUDIT('d', 'OLD')}`,
};

const PROCEDURE = `CREATE PROCEDURE ob_bump(p_id INT, p_by INT)
  BEGIN
    UPDATE ob SET v = v + p_by WHERE id BETWEEN p_id AND p_id + 2;
    INSERT INTO ob_log (note) VALUES (CONCAT('bump ', p_id, ' by ', p_by));
  END`;

const insert: Op = async (c, r) => {
  await q(c, 'INSERT INTO ob (id, v) VALUES (?, ob_f(?)) ON DUPLICATE KEY UPDATE v = v + 1',
    [r.int(1, ROWS * 3), r.int(0, 50)]);
  return ONE;
};

const update: Op = async (c, r) => {
  const id = r.int(1, ROWS * 3);
  if (r.chance(0.5)) await q(c, 'UPDATE ob SET v = v + 1 WHERE id BETWEEN ? AND ?', [id, id + 4]);
  else await q(c, 'UPDATE ob_v SET v = v - 1 WHERE id = ?', [id]);
  return ONE;
};

const remove: Op = async (c, r) => {
  await q(c, 'DELETE FROM ob WHERE id = ?', [r.int(1, ROWS * 3)]);
  return ONE;
};

const call: Op = async (c, r) => txn(c, async () => {
  await q(c, 'CALL ob_bump(?, ?)', [r.int(1, ROWS * 3), r.int(1, 3)]);
  if (r.chance(0.5)) await q(c, 'INSERT INTO ob (id, v) VALUES (?, ?)', [r.int(ROWS * 3, ROWS * 6), r.int(0, 9)]);
});

/** Re-create one trigger (the new body differs), or drop and create it again later. */
const trigger: Op = async (c, r) => {
  const name = r.pick(Object.keys(TRIGGERS));
  const body = TRIGGERS[name]!;
  const variant = body.replace('* 2', '* 3').replace('+ 1', '+ 2').replace(/\.v\)$/, '.v + 100)');
  const k = r.int(0, 2);
  if (k === 0) await q(c, `DROP TRIGGER IF EXISTS ${name}`);
  else await q(c, `CREATE OR REPLACE TRIGGER ${name} ${k === 1 ? variant : body}`);
  return DDL;
};

const routine: Op = async (c, r) => {
  if (r.chance(0.5)) {
    await q(c, 'DROP PROCEDURE IF EXISTS ob_bump');
    await q(c, r.chance(0.5) ? PROCEDURE : PROCEDURE.replace('p_id + 2', 'p_id + 1'));
  } else {
    await q(c, `CREATE OR REPLACE FUNCTION ob_f(x INT) RETURNS INT DETERMINISTIC RETURN x * ${r.int(2, 4)} + 1`);
  }
  return DDL;
};

const view: Op = async (c, r) => {
  await q(c, `CREATE OR REPLACE VIEW ob_v AS SELECT id, v, n FROM ob WHERE v > ${r.int(0, 60)}`);
  return DDL;
};

const event: Op = async (c, r) => {
  const k = r.int(0, 2);
  if (k === 0) await q(c, 'ALTER EVENT ob_ev DISABLE');
  else if (k === 1) await q(c, 'ALTER EVENT ob_ev ENABLE');
  else await q(c, `ALTER EVENT ob_ev DO INSERT INTO ob_log (note) VALUES ('event ${r.int(0, 9)}')`);
  return DDL;
};

export const objectsFeature: Feature = {
  name: 'objects',
  async setup(c, r) {
    await q(c, 'CREATE TABLE ob (id INT PRIMARY KEY, v INT, n INT) ENGINE=InnoDB');
    await q(c, `CREATE TABLE ob_audit (id BIGINT AUTO_INCREMENT PRIMARY KEY, ob_id INT, op CHAR(1), v INT)
      ENGINE=InnoDB`);
    await q(c, 'CREATE TABLE ob_log (id BIGINT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(60)) ENGINE=InnoDB');
    await q(c, 'CREATE FUNCTION ob_f(x INT) RETURNS INT DETERMINISTIC RETURN x * 2 + 1');
    await q(c, PROCEDURE);
    for (const [name, body] of Object.entries(TRIGGERS)) await q(c, `CREATE TRIGGER ${name} ${body}`);
    await q(c, 'CREATE VIEW ob_v AS SELECT id, v, n FROM ob WHERE v > 10');
    await insertMany(c, 'ob', 'id, v', ROWS, (i) => `(${i + 1}, ${r.int(0, 99)})`);
    await q(c, `CREATE EVENT ob_ev ON SCHEDULE EVERY 1 SECOND
      DO INSERT INTO ob_log (note) VALUES ('event')`);
    await q(c, 'SET GLOBAL event_scheduler = ON');
  },
  async quiesce(c) {
    // the event writes every second: stop it, and let a run in progress commit, before both
    // replicas are waited for and compared
    await q(c, 'SET GLOBAL event_scheduler = OFF');
    await new Promise((res) => setTimeout(res, 1000));
  },
  ops: [[4, insert], [3, update], [2, remove], [2, call]],
  serialOps: [[2, trigger], [1, routine], [1, view], [1, event]],
};
