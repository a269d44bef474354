import { describe, expect, it } from 'vitest';
import { resolveMode } from '../../src/core/poll/mode.js';
import { timestampColumn } from '../../src/core/poll/timestamp-column.js';
import type { ColumnInfo, TableInfo } from '../../src/core/db/table-info.js';

const col = (name: string, dataType: string, onUpdateTimestamp = false): ColumnInfo => ({ name, dataType, nullable: false, generated: false, onUpdateTimestamp, charset: null, collation: null });
const table = (columns: ColumnInfo[]): TableInfo => ({ schema: 's', name: 't', columns, writable: columns.map((c) => c.name), key: ['id'], keyKind: 'primary', indexedFirst: [], transactional: true });
const pair = (timestampColumns: Record<string, string> = {}) => ({ name: 'p', timestampColumns });

describe('mode resolution', () => {
  it('keeps an explicit mode and lets auto choose binlog when the source allows it', () => {
    expect(resolveMode({ mode: 'poll' }, { binlogUsable: true, binlogProblems: [] }).mode).toBe('poll');
    expect(resolveMode({ mode: 'binlog' }, { binlogUsable: false, binlogProblems: ['x'] }).mode).toBe('binlog');
    expect(resolveMode({ mode: 'auto' }, { binlogUsable: true, binlogProblems: [] }).mode).toBe('binlog');
  });
  it('falls back to polling under auto and says which fixes would allow binlog', () => {
    const r = resolveMode({ mode: 'auto' }, { binlogUsable: false, binlogProblems: ['enable log_bin', 'set binlog_format=ROW'] });
    expect(r).toEqual({ mode: 'poll', reason: 'mode "auto" falls back to polling: enable log_bin; set binlog_format=ROW' });
  });
});

describe('change-timestamp column', () => {
  it('prefers the configured column, then ON UPDATE CURRENT_TIMESTAMP, then conventional names', () => {
    const t = table([col('id', 'int'), col('updated_at', 'datetime'), col('touched', 'timestamp', true), col('ver', 'bigint')]);
    expect(timestampColumn(t, pair({ t: 'ver' }))).toEqual({ name: 'ver', kind: 'numeric' });
    expect(timestampColumn(t, pair())).toEqual({ name: 'touched', kind: 'time' });
    expect(timestampColumn(table([col('id', 'int'), col('Last_Update', 'timestamp')]), pair())).toEqual({ name: 'Last_Update', kind: 'time' });
  });
  it('returns null for a table without one and rejects a configured column that is not a time', () => {
    expect(timestampColumn(table([col('id', 'int'), col('updated_at', 'varchar')]), pair())).toBeNull();
    expect(() => timestampColumn(table([col('id', 'int'), col('name', 'varchar')]), pair({ t: 'name' }))).toThrow(/not a date\/time/);
  });
});
