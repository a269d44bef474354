/**
 * A SYSTEM VERSIONED table (MariaDB temporal table): the schema step creates it on the target
 * WITH SYSTEM VERSIONING, and the data engine and verify must treat it like any base table
 * (its current rows copied, streamed and compared; the history is the target's own).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { pairContextFor, rows, waitTablesEqual } from '../helpers/data-fixtures.js';
import { runPair } from '../../src/core/pair/sync-pair.js';

const current = async (c: TestContext['source']) =>
  rows<{ id: number; v: string }>(c, 'SELECT id, v FROM sv ORDER BY id');

describe('system-versioned tables', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createContext('sysver');
    await t.source.query(`CREATE TABLE sv (id INT PRIMARY KEY, v VARCHAR(20)) WITH SYSTEM VERSIONING;
      INSERT INTO sv VALUES (1, 'a'), (2, 'b'); UPDATE sv SET v = 'b2' WHERE id = 2;`);
  });
  afterEach(async () => { await t.close(); });

  it('copies, streams and verifies the current rows of a system-versioned table', async () => {
    t.writeConfig({ pair: { routines: false } });
    const r = await t.cli(['sync', 'run', 'p', '--once']);
    expect(r.code, r.stderr).toBe(0);
    const [kind] = await rows<{ k: string }>(t.target,
      "SELECT TABLE_TYPE AS k FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sv'");
    expect(kind?.k).toBe('SYSTEM VERSIONED');
    expect(await current(t.target)).toEqual(await current(t.source));

    const { ctx, abort } = pairContextFor(t, { schema: true, routines: false });
    const running = runPair(ctx, { once: false });
    try {
      await t.source.query("INSERT INTO sv VALUES (3, 'c'); UPDATE sv SET v = 'a2' WHERE id = 1; DELETE FROM sv WHERE id = 2");
      await waitTablesEqual(t, ['sv']);
    } finally {
      abort.abort();
      await running;
    }
    expect(await current(t.target)).toEqual([{ id: 1, v: 'a2' }, { id: 3, v: 'c' }]);
    const v = await t.cli(['verify', 'p', '--json']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('"sv"');
  });
});
