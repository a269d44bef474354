/** Multi-table transactions with savepoints, ROLLBACK TO, RELEASE and whole rollbacks. */
import { insertMany, ONE, q, txn, type Feature, type Op } from './common.js';

const ACCOUNTS = 300;

const transfer: Op = async (c, r) => {
  const a = r.int(1, ACCOUNTS);
  const b = r.int(1, ACCOUNTS);
  const amt = r.int(1, 500);
  const rollback = r.chance(0.1);
  await q(c, 'START TRANSACTION');
  try {
    await q(c, 'UPDATE acct SET bal = bal - ?, n = n + 1 WHERE id = ?', [amt, a]);
    await q(c, 'INSERT INTO ledger (acct, amt, memo) VALUES (?, ?, ?)', [a, -amt, `to ${b}`]);
    if (r.chance(0.5)) {
      await q(c, 'SAVEPOINT s1');
      await q(c, 'UPDATE acct SET bal = bal + ? WHERE id = ?', [amt * 2, r.int(1, ACCOUNTS)]);
      await q(c, 'INSERT INTO ledger (acct, amt, memo) VALUES (?, ?, ?)', [b, amt * 2, 'maybe']);
      if (r.chance(0.3)) {
        await q(c, 'SAVEPOINT s2');
        await q(c, 'DELETE FROM ledger WHERE acct = ? ORDER BY id LIMIT 1', [r.int(1, ACCOUNTS)]);
        await q(c, r.chance(0.5) ? 'ROLLBACK TO SAVEPOINT s2' : 'RELEASE SAVEPOINT s2');
      }
      await q(c, r.chance(0.6) ? 'ROLLBACK TO SAVEPOINT s1' : 'RELEASE SAVEPOINT s1');
    }
    await q(c, 'UPDATE acct SET bal = bal + ?, n = n + 1 WHERE id = ?', [amt, b]);
    await q(c, 'INSERT INTO ledger (acct, amt, memo) VALUES (?, ?, ?)', [b, amt, `from ${a}`]);
    await q(c, rollback ? 'ROLLBACK' : 'COMMIT');
  } catch (err) {
    await q(c, 'ROLLBACK').catch(() => undefined);
    throw err;
  }
  return rollback ? { txns: 0, ddl: 0 } : ONE;
};

const churn: Op = async (c, r) => txn(c, async () => {
  const id = r.int(ACCOUNTS + 1, ACCOUNTS + 200);
  if (r.chance(0.5)) await q(c, 'INSERT INTO acct (id, bal, n) VALUES (?, ?, 0)', [id, r.int(-1000, 1000)]);
  else await q(c, 'DELETE FROM acct WHERE id = ?', [id]);
  await q(c, 'DELETE FROM ledger WHERE acct = ? LIMIT 3', [id]);
});

/** Autocommit statements touching many rows at once. */
const bulk: Op = async (c, r) => {
  const lo = r.int(1, ACCOUNTS);
  await q(c, 'UPDATE acct SET n = n + 1, bal = bal * -1 WHERE id BETWEEN ? AND ?', [lo, lo + r.int(0, 40)]);
  return ONE;
};

export const txnFeature: Feature = {
  name: 'txn',
  async setup(c, r) {
    await q(c, `CREATE TABLE acct (id INT PRIMARY KEY, bal BIGINT NOT NULL, n INT NOT NULL,
      upd TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)) ENGINE=InnoDB`);
    await q(c, `CREATE TABLE ledger (id BIGINT AUTO_INCREMENT PRIMARY KEY, acct INT NOT NULL, amt INT NOT NULL,
      memo VARCHAR(40), KEY (acct)) ENGINE=InnoDB`);
    await insertMany(c, 'acct', 'id, bal, n', ACCOUNTS, (i) => `(${i + 1}, ${r.int(0, 10_000)}, 0)`);
    await insertMany(c, 'ledger', 'acct, amt, memo', 3000,
      () => `(${r.int(1, ACCOUNTS)}, ${r.int(-500, 500)}, 'seed')`);
  },
  ops: [[6, transfer], [2, churn], [1, bulk]],
};
