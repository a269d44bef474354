/**
 * A stream that must stop at a position (a resumed snapshot's catch-up, `sync run --once`)
 * stops exactly there, also when that position is not a commit but an event between
 * transactions (here the binlog checkpoint event at the head of a new binlog file) that
 * arrives while a group of source transactions is open on the target. Seen in the
 * differential fuzzer: the next transaction joined the open group, the catch-up went past the
 * snapshot's read, and the next catch-up, starting from that read, applied it a second time
 * (TARGET_UNIQUE_CONFLICT: a stop that no restart could clear).
 * Own servers: the test needs a binlog no other test writes to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/mariadb-server.js';
import type { ConnectionConfig } from '../../src/core/config/schema.js';
import { BinarySession } from '../../src/core/db/connection.js';
import { prepareApplySession } from '../../src/core/db/session.js';
import { Applier } from '../../src/core/data/applier.js';
import { runStream } from '../../src/core/data/apply-loop.js';
import { ensureCheckpointTable } from '../../src/core/data/checkpoint.js';
import { sessionBaseline } from '../../src/core/data/ddl-replay.js';
import type { BinlogPosition } from '../../src/core/data/events.js';
import { silentLogger } from '../../src/core/log.js';

let src: TestServer;
let dst: TestServer;

beforeAll(async () => {
  [src, dst] = await Promise.all([
    startServer({ binlog: true, serverId: 61, label: 'until-src' }),
    startServer({ binlog: false, serverId: 62, label: 'until-dst' }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([src?.stop(), dst?.stop()]);
});

const conn = (name: string, port: number, database: string): ConnectionConfig =>
  ({ name, host: '127.0.0.1', port, user: 'root', database }) as ConnectionConfig;

/** The source's binlog end (the launcher's own client, as the bench's `q`). */
function masterStatus(s: TestServer): BinlogPosition {
  const [file, pos] = s.sql('SHOW MASTER STATUS').trim().split('\t');
  return { file: file as string, pos: Number(pos) };
}

/** What lies between the last transaction before the end position and the first after it. */
const BETWEEN = [
  // the new file's head: format description, GTID list, binlog checkpoint (position events)
  { what: 'the head of a new binlog file', sql: 'FLUSH BINARY LOGS' },
  // a statement outside any database's data (no rows, not DDL): a group of its own without rows
  { what: 'a standalone statement', sql: "CREATE USER IF NOT EXISTS 'su_u'@'localhost'" },
];

describe('a stream with an end position', () => {
  it.each(BETWEEN)('commits the open group at an end position after $what, and applies nothing after it', async (c) => {
    const table = 'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))';
    const s = await src.connect();
    const d = await dst.connect();
    const lock = await dst.connect();
    try {
      await s.query(`DROP DATABASE IF EXISTS su; CREATE DATABASE su; USE su; ${table}`);
      await d.query(`DROP DATABASE IF EXISTS du; CREATE DATABASE du; USE du; ${table}`);
      const start = masterStatus(src);
      for (let id = 1; id <= 40; id++) await s.query('INSERT INTO su.t VALUES (?, ?)', [id, `v${id}`]);
      await s.query(c.sql);
      const until = masterStatus(src);
      for (let id = 41; id <= 50; id++) await s.query('INSERT INTO su.t VALUES (?, ?)', [id, `v${id}`]);

      // Hold the target's first round trip (a gap lock on the empty table) until every event
      // has arrived: the loop then finds a backlog after each commit and keeps one group open.
      await lock.query('BEGIN');
      await lock.query('SELECT * FROM du.t FOR UPDATE');
      setTimeout(() => void lock.query('COMMIT'), 1500);

      const session = await BinarySession.open(conn('dst', dst.port, 'du'));
      await prepareApplySession(session);
      await ensureCheckpointTable(session);
      const control = conn('src', src.port, 'su');
      const applier = new Applier({
        session, pair: 'until', targetSchema: 'du', inScope: () => true, logger: silentLogger(), maxPacket: 16 << 20,
      });
      try {
        const result = await runStream({
          source: control, sourceSchema: 'su', targetSchema: 'du', serverId: 6101, start, until,
          applier, tableMode: () => 'exact', inScope: () => true, replayDdl: false, syncObjects: false,
          checkpoints: (pos) => [['binlog', pos]], journal: null, baseline: await sessionBaseline(session),
          onObjects: async () => undefined, serverPosition: async () => masterStatus(src),
          sourceFiles: async () => [], sourceClock: async () => [], onProgress: () => undefined,
          logger: silentLogger(), signal: new AbortController().signal,
          // one group for the whole backlog (the defaults end a group after 5 ms)
          maxGroupTxns: 10_000, maxGroupMs: 60_000,
        });
        expect(result.position).toEqual(until);
        const [[rows]] = (await d.query('SELECT COUNT(*) AS n, MAX(id) AS top FROM du.t')) as unknown as
          [[{ n: number; top: number }]];
        expect({ n: Number(rows.n), top: Number(rows.top) }).toEqual({ n: 40, top: 40 });
      } finally {
        await session.close();
      }
    } finally {
      await Promise.all([s.end(), d.end(), lock.end()]);
    }
  }, 120_000);
});
