/**
 * Repair with big rows: batches are bounded by bytes, not only by rows. 40 rows of 1 MB, a
 * target whose max_allowed_packet is 16 MB: a 500-row batch would be one 40 MB statement
 * (ER_NET_PACKET_TOO_LARGE) and 40 MB of rows in memory at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { rows } from '../helpers/data-fixtures.js';

const TABLE = 'CREATE TABLE big (id INT PRIMARY KEY, v INT, b LONGBLOB) ENGINE=InnoDB';

async function checksum(db: TestContext['source']): Promise<string> {
  const [r] = await rows<{ Checksum: string | number }>(db, 'CHECKSUM TABLE big');
  return String(r?.Checksum);
}

describe('repair of big rows', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createContext('vbig');
    ctx.writeConfig({ pair: {} });
    await ctx.source.query(TABLE);
    await ctx.target.query(TABLE);
    await ctx.target.query('SET GLOBAL max_allowed_packet = 16777216');
    for (let id = 1; id <= 40; id++) {
      await ctx.source.query('INSERT INTO big VALUES (?, ?, REPEAT(CHAR(65 + ? % 26), 1048576))', [id, id, id]);
    }
  }, 180_000);
  afterAll(async () => ctx?.close());

  it('copies a whole range of 1 MB rows into a target with a 16 MB packet limit', async () => {
    const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--repair']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).tables[0].repaired).toMatchObject({ inserted: 40, conflicts: [] });
    expect(await checksum(ctx.target)).toBe(await checksum(ctx.source));
  }, 180_000);

  it('replaces scattered missing and different 1 MB rows', async () => {
    await ctx.target.query('DELETE FROM big WHERE id % 3 = 0');
    await ctx.target.query("UPDATE big SET b = REPEAT('z', 1048576) WHERE id % 3 = 1");
    const r = await ctx.cli(['verify', 'p', '--json', '--no-recheck', '--repair']);
    expect(r.stderr).toBe('');
    const t = JSON.parse(r.stdout).tables[0];
    expect(t.repaired.inserted + t.repaired.replaced).toBe(27);
    expect(await checksum(ctx.target)).toBe(await checksum(ctx.source));
    expect((await ctx.cli(['verify', 'p', '--no-recheck'])).code).toBe(0);
  }, 180_000);
});
