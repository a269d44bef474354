import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, createContext, type TestContext } from '../helpers/context.js';
import { run } from './schema-helpers.js';

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('timed out');
}

describe('sync run in the foreground for a schema-only pair', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createContext('schemarun');
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('applies source schema changes every schemaCheckInterval and exits 0 on SIGTERM', async () => {
    await run(ctx.source, ['CREATE TABLE t (id INT PRIMARY KEY)']);
    ctx.writeConfig({ pair: { data: false }, settings: { schemaCheckInterval: 1000 } });
    const child = spawn(process.execPath, [CLI, 'sync', 'run', 'p', '--log-level', 'warn'], { env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const columns = async () => {
      const [rows] = await ctx.target.query("SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' ORDER BY ORDINAL_POSITION");
      return (rows as Array<{ c: string }>).map((r) => r.c);
    };
    try {
      await waitFor(async () => (await columns()).length === 1);
      await run(ctx.source, ['ALTER TABLE t ADD COLUMN added_later VARCHAR(10)']);
      await waitFor(async () => (await columns()).includes('added_later'));
      expect(await columns()).toEqual(['id', 'added_later']);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });
});
