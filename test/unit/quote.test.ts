import { describe, it, expect } from 'vitest';
import { quoteId, quoteQualified, quoteString } from '../../src/core/db/quote.js';

describe('identifier quoting', () => {
  it('doubles backticks and keeps spaces, reserved words and unicode intact', () => {
    expect(quoteId('a`b')).toBe('`a``b`');
    expect(quoteId('order')).toBe('`order`');
    expect(quoteId('my table')).toBe('`my table`');
    expect(quoteId('Bestellungen_äöü_😀')).toBe('`Bestellungen_äöü_😀`');
    expect(quoteQualified('db`x', 't')).toBe('`db``x`.`t`');
  });
  it('rejects NUL bytes, which no identifier may contain', () => {
    expect(() => quoteId('a\u0000b')).toThrow(/NUL/);
  });
  it('escapes string literals for DDL', () => {
    expect(quoteString("it's a \\ test")).toBe("'it''s a \\\\ test'");
  });
});

import { parseFlavor } from '../../src/core/db/flavor.js';

describe('server flavor', () => {
  it('tells MariaDB from MySQL and picks each one\'s clauses', () => {
    expect(parseFlavor('10.11.19-MariaDB-0+deb12u1')).toMatchObject({ name: 'mariadb', major: 10, minor: 11, binlogMonitorGrant: 'BINLOG MONITOR', eventDisabledOnTarget: 'DISABLE ON SLAVE' });
    expect(parseFlavor('10.4.2-MariaDB').binlogMonitorGrant).toBe('REPLICATION CLIENT');
    expect(parseFlavor('8.0.36').eventDisabledOnTarget).toBe('DISABLE ON SLAVE');
    expect(parseFlavor('8.4.2').eventDisabledOnTarget).toBe('DISABLE ON REPLICA');
    expect(parseFlavor('9.1.0')).toMatchObject({ name: 'mysql', eventDisabledOnTarget: 'DISABLE ON REPLICA', gtidPositionSql: 'SELECT @@GLOBAL.gtid_executed AS gtid' });
  });
});
