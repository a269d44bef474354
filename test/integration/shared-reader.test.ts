/**
 * Pairs of one source sharing one binlog reader (src/core/data/binlog-hub.ts) on a real
 * MariaDB: each target equals its source; a pair whose target is locked leaves the shared
 * reader and does not hold the other back; a pair restarted from its checkpoint (a GTID
 * start) catches up on its own reader and joins again. Switching logic over many random
 * interleavings: test/unit/binlog-hub.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, rootConnection, type TestContext } from '../helpers/context.js';
import { rows, startPair, waitTablesEqual, waitUntil, type RunningPair } from '../helpers/data-fixtures.js';
import { sharedReaders } from '../../src/core/data/binlog-hub.js';

const TABLES = ['acct', 'ledger'];

async function schema(t: TestContext): Promise<void> {
  await t.source.query(`
    CREATE TABLE acct (id INT PRIMARY KEY, balance BIGINT NOT NULL, note VARCHAR(200)) ENGINE=InnoDB;
    CREATE TABLE ledger (id BIGINT AUTO_INCREMENT PRIMARY KEY, acct INT NOT NULL, delta INT NOT NULL, KEY (acct)) ENGINE=InnoDB;
    INSERT INTO acct SELECT seq, 1000, REPEAT('x', 50) FROM seq_1_to_200`);
}

/** Multi-statement transactions over both tables, as an application writes them. */
async function load(t: TestContext, txns: number, seed: number): Promise<void> {
  for (let i = 0; i < txns; i++) {
    const a = ((seed + i * 7) % 200) + 1;
    const b = ((seed + i * 13) % 200) + 1;
    const d = (i % 17) + 1;
    await t.source.query(`START TRANSACTION;
      UPDATE acct SET balance = balance - ${d}, note = CONCAT('t', ${i}) WHERE id = ${a};
      UPDATE acct SET balance = balance + ${d} WHERE id = ${b};
      INSERT INTO ledger (acct, delta) VALUES (${a}, -${d}), (${b}, ${d});
      ${i % 10 === 0 ? `DELETE FROM ledger WHERE acct = ${b} ORDER BY id LIMIT 1;` : ''}
      COMMIT`);
  }
}

async function checksumsEqual(t: TestContext): Promise<void> {
  for (const table of TABLES) {
    const [s] = await rows<{ Checksum: string }>(t.source, `CHECKSUM TABLE \`${table}\``);
    const [d] = await rows<{ Checksum: string }>(t.target, `CHECKSUM TABLE \`${table}\``);
    expect(d?.Checksum, `${t.targetDb}.${table}`).toBe(s?.Checksum);
  }
}

/** Transactions on `t` until stopped. */
function writeOn(t: TestContext): { stop(): Promise<void> } {
  let on = true;
  const done = (async () => { for (let i = 0; on; i++) await load(t, 5, 1000 + i * 5); })();
  return { stop: async () => { on = false; await done; } };
}

const group = (t: TestContext) => sharedReaders().find((g) => g.source === `127.0.0.1:${t.ports.source}:root`);

describe('pairs of one source share one binlog reader', () => {
  let a: TestContext;
  let b: TestContext;
  const running: RunningPair[] = [];
  beforeEach(async () => {
    a = await createContext('shra');
    b = await createContext('shrb');
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop().catch(() => undefined);
    delete process.env.DB_SYNC_MAX_BACKLOG_BYTES;
    await a.close();
    await b.close();
  });

  it('keeps both targets equal on one reader; a locked target leaves it without holding the other back', async () => {
    await schema(a);
    await schema(b);
    // small bound: the locked pair's backlog passes it within a few hundred transactions
    process.env.DB_SYNC_MAX_BACKLOG_BYTES = String(64 << 10);
    const pa = startPair(a, { pair: { schema: true } });
    const pb = startPair(b, { pair: { schema: true } });
    running.push(pa, pb);
    await waitTablesEqual(a, TABLES, 120_000);
    await waitTablesEqual(b, TABLES, 120_000);
    await Promise.all([load(a, 100, 1), load(b, 100, 2)]);
    await waitUntil('both pairs on the shared reader', async () => {
      await Promise.all([load(a, 2, 3), load(b, 2, 4)]);
      return group(a)?.onHub === 2;
    }, 60_000, () => group(a));
    await waitTablesEqual(a, TABLES, 60_000);
    await waitTablesEqual(b, TABLES, 60_000);
    // status says where each pair reads (status --json binlogReader)
    await waitUntil('status shows the shared reader', () => pa.status.current().binlogReader === 'shared'
      && pb.status.current().binlogReader === 'shared', 10_000, () => [pa.status.current(), pb.status.current()]);

    // b's target stops applying (a DBA's LOCK TABLES); a must go on
    const locker = await rootConnection(b.ports.target, b.targetDb);
    await locker.query('LOCK TABLES acct WRITE, ledger WRITE');
    let background: { stop(): Promise<void> } | undefined;
    try {
      await Promise.all([load(a, 300, 5), load(b, 300, 6)]);
      await waitTablesEqual(a, TABLES, 60_000);
      await waitUntil('b off the shared reader', () => (group(a)?.onHub ?? 0) < 2, 30_000, () => group(a));
      // a keeps streaming while b is still locked
      await load(a, 50, 7);
      await waitTablesEqual(a, TABLES, 60_000);
      // ... and b's apply is still held by the lock (reading its tables would wait on it too)
      const blocked = await rows<{ n: string }>(a.target, `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
        WHERE DB = '${b.targetDb}' AND STATE LIKE 'Waiting for table%'`);
      expect(Number(blocked[0]?.n)).toBeGreaterThan(0);
      // a writes on while b catches up alone: b meets the shared reader ahead of it and joins
      // from its ring of recent events
      background = writeOn(a);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await locker.query('UNLOCK TABLES');
      await locker.end();
    }
    try {
      await waitUntil('b back on the shared reader', async () => {
        await load(b, 2, 9);
        return group(a)?.onHub === 2;
      }, 60_000, () => group(a));
    } finally {
      await background?.stop();
    }
    await waitTablesEqual(a, TABLES, 60_000);
    await waitTablesEqual(b, TABLES, 60_000);
    await checksumsEqual(a);
    await checksumsEqual(b);
  }, 600_000);

  it('a pair restarted from its checkpoint catches up alone, then joins; DDL of both databases stays in place', async () => {
    await schema(a);
    await schema(b);
    const pa = startPair(a, { pair: { schema: true } });
    let pb = startPair(b, { pair: { schema: true } });
    running.push(pa);
    await waitTablesEqual(a, TABLES, 120_000);
    await waitTablesEqual(b, TABLES, 120_000);
    await pb.stop();
    // while b is down: writes and DDL on both databases
    await load(a, 80, 11);
    await load(b, 80, 12);
    await a.source.query('ALTER TABLE acct ADD COLUMN flag TINYINT NOT NULL DEFAULT 0');
    await b.source.query('ALTER TABLE ledger ADD COLUMN memo VARCHAR(20) NULL');
    await load(b, 40, 13);
    // a writes on while b catches up alone from its checkpoint (a GTID start): b meets the
    // shared reader ahead of it and joins from its ring of recent events
    const background = writeOn(a);
    try {
      pb = startPair(b, { pair: { schema: true } });
      running.push(pb);
      await load(b, 40, 15);
      await a.source.query('UPDATE acct SET flag = 1 WHERE id % 3 = 0');
      await b.source.query('UPDATE ledger SET memo = CONCAT(\'m\', id) WHERE id % 5 = 0');
      await waitUntil('b joined the shared reader', async () => {
        await load(b, 2, 17);
        return group(a)?.onHub === 2;
      }, 60_000, () => group(a));
    } finally {
      await background.stop();
    }
    await waitTablesEqual(a, TABLES, 60_000);
    await waitTablesEqual(b, TABLES, 60_000);
    await checksumsEqual(a);
    await checksumsEqual(b);
    const [createA] = await rows<{ 'Create Table': string }>(a.target, 'SHOW CREATE TABLE acct');
    expect(createA?.['Create Table']).toContain('`flag` tinyint');
  });
});
