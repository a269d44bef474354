/**
 * The non-transactional table check of `connection test` and of every pair's start
 * (src/core/preflight.ts): which tables lack transactions, and which of those also lack a
 * unique key, in the connection's database only (a table of the same name elsewhere does not
 * count).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, uniqueName, type TestContext } from '../helpers/context.js';
import { openConnection } from '../../src/core/db/connection.js';
import { nonTransactionalTables } from '../../src/core/preflight.js';

describe('non-transactional tables', () => {
  let t: TestContext;
  let other: string;
  beforeEach(async () => {
    t = await createContext('pft');
    other = uniqueName('pft_other');
  });
  afterEach(async () => {
    await t.source.query(`DROP DATABASE IF EXISTS \`${other}\``);
    await t.close();
  });

  it('names the MyISAM tables of this database, keyless or not, and nothing of another database', async () => {
    await t.source.query(`
      CREATE TABLE inno (id INT PRIMARY KEY) ENGINE=InnoDB;
      CREATE TABLE m_keyed (id INT, u INT, UNIQUE KEY (u)) ENGINE=MyISAM;
      CREATE TABLE m_bare (id INT, KEY (id)) ENGINE=MyISAM;
      CREATE DATABASE \`${other}\`;
      CREATE TABLE \`${other}\`.m_bare (id INT PRIMARY KEY) ENGINE=MyISAM;
      CREATE TABLE \`${other}\`.m_only_there (id INT) ENGINE=MyISAM`);
    const db = await openConnection({ name: 'src', host: '127.0.0.1', port: t.ports.source, user: 'root',
      password: '', database: t.sourceDb });
    try {
      const found = await nonTransactionalTables(db, t.sourceDb);
      expect(found.sort((a, b) => a.table.localeCompare(b.table))).toEqual([
        { table: 'm_bare', engine: 'MyISAM', keyless: true },
        { table: 'm_keyed', engine: 'MyISAM', keyless: false },
      ]);
    } finally {
      await db.close(2000);
    }
  });
});
