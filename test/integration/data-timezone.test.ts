/**
 * TIMESTAMP values independent of time zones: source and target servers run in a zone with DST
 * (their system zone, from TZ=America/New_York, which --default-time-zone=SYSTEM follows) and so
 * does the db-sync process. Values are written as UTC instants around the 2024 DST changes (a
 * local hour that does not exist, one that exists twice); a session that did not set its own
 * time_zone would shift or fold them. Snapshot and stream are both checked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootConnection, runCli, type TestContext } from '../helpers/context.js';
import { expectTablesEqual, rows } from '../helpers/data-fixtures.js';
import { startServer, type TestServer } from '../helpers/mariadb-server.js';

const ZONE = 'America/New_York';
const INSTANTS = ['2024-03-10 06:59:59.5', '2024-03-10 07:30:00', '2024-11-03 05:30:00', '2024-11-03 06:30:00',
  '2024-07-01 12:00:00'];

describe('time zones', () => {
  const servers: TestServer[] = [];
  let t: TestContext;
  const savedTz = process.env.TZ;

  beforeAll(async () => {
    process.env.TZ = ZONE; // inherited by the servers started now and by the CLI runs below
    servers.push(...await Promise.all([
      startServer({ binlog: true, serverId: 11, label: 'tz-source', extraArgs: ['--default-time-zone=SYSTEM'] }),
      startServer({ binlog: false, serverId: 12, label: 'tz-target', extraArgs: ['--default-time-zone=SYSTEM'] }),
    ]));
    const [source, target] = [await rootConnection(servers[0]!.port), await rootConnection(servers[1]!.port)];
    await source.query('CREATE DATABASE s; USE s');
    await target.query('CREATE DATABASE d; USE d');
    const home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-tz-'));
    const env = { ...process.env, DB_SYNC_HOME: home, NO_COLOR: '1', TZ: ZONE };
    t = {
      home, sourceDb: 's', targetDb: 'd', ports: { source: servers[0]!.port, target: servers[1]!.port },
      source, target, env,
      cli: (args, opts = {}) => runCli(args, { ...env, ...(opts.env ?? {}) }, opts),
      writeConfig: () => undefined,
      async close() { await source.end(); await target.end(); rmSync(home, { recursive: true, force: true }); },
    };
    for (const [name, port, db] of [['src', t.ports.source, 's'], ['dst', t.ports.target, 'd']] as const) {
      const added = await runCli(['connection', 'add', '--name', name, '--host', '127.0.0.1', '--port', String(port),
        '--user', 'root', '--no-password', '--database', db], env);
      expect(added.code, added.stderr).toBe(0);
    }
    const add = await runCli(['sync', 'add', '--name', 'p', '--source', 'src', '--target', 'dst'], env);
    expect(add.code, add.stderr).toBe(0);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all(servers.map((s) => s.stop()));
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  async function insert(from: number): Promise<void> {
    await t.source.query("SET time_zone = '+00:00'");
    for (const [i, at] of INSTANTS.entries()) {
      await t.source.query('INSERT INTO ts VALUES (?, ?, ?)', [from + i, at, at]);
    }
  }

  it('runs in a zone with DST (the check that makes the rest meaningful)', async () => {
    const [zone] = await rows<{ z: string; sys: string }>(t.target,
      'SELECT @@time_zone AS z, @@system_time_zone AS sys');
    expect(zone?.z).toBe('SYSTEM');
    expect(['EST', 'EDT']).toContain(zone?.sys);
    // 07:30 UTC on 2024-03-10 is 02:30 local, an hour New York skipped: the server shows the shift.
    const [folded] = await rows<{ local: string }>(t.target,
      "SELECT CONVERT_TZ('2024-03-10 07:30:00', '+00:00', @@time_zone) AS local");
    expect(folded?.local).toBe('2024-03-10 03:30:00');
  });

  it('copies and streams TIMESTAMP values around DST changes exactly', async () => {
    await t.source.query('CREATE TABLE ts (id INT PRIMARY KEY, t6 TIMESTAMP(6) NULL, dt DATETIME(6))');
    await insert(1);
    const first = await t.cli(['sync', 'run', 'p', '--once']);
    expect(first.code, first.stderr).toBe(0);
    await insert(100); // after the snapshot: through the stream
    const second = await t.cli(['sync', 'run', 'p', '--once']);
    expect(second.code, second.stderr).toBe(0);
    await expectTablesEqual(t, ['ts']);
    // The instants themselves (UNIX_TIMESTAMP does not depend on any zone), not just equal tables.
    const got = await rows<{ id: number; e: string }>(t.target,
      'SELECT id, UNIX_TIMESTAMP(t6) AS e FROM ts ORDER BY id');
    const epoch = (at: string) => (Date.parse(`${at.replace(' ', 'T')}Z`) / 1000).toFixed(6);
    const want = [1, 100].flatMap((from) => INSTANTS.map((at, i) => ({ id: from + i, e: epoch(at) })));
    expect(got.map((r) => ({ id: Number(r.id), e: String(r.e) }))).toEqual(want);
  });
});
