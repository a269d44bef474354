import { describe, it, expect } from 'vitest';
import { createContext } from '../helpers/context.js';

describe('test harness', () => {
  it('starts a binlog source and a plain target on their own ports', async () => {
    const ctx = await createContext('harness');
    try {
      const [[src]] = (await ctx.source.query("SELECT @@log_bin AS log_bin, @@binlog_format AS fmt, @@binlog_row_metadata AS meta, @@server_id AS id")) as unknown as [[Record<string, unknown>]];
      const [[dst]] = (await ctx.target.query('SELECT @@log_bin AS log_bin, @@server_id AS id')) as unknown as [[Record<string, unknown>]];
      expect(src).toMatchObject({ log_bin: '1', fmt: 'ROW', meta: 'FULL', id: '1' });
      expect(dst).toMatchObject({ log_bin: '0', id: '2' });
      expect(ctx.ports.source).not.toBe(3306);
    } finally {
      await ctx.close();
    }
  });
});
