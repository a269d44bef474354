/**
 * The foreign keys the applier reads once per target schema (src/core/db/table-info.ts,
 * foreignKeyLinks): both directions, self references, cascading rules, and children in
 * another database, which the applier must know of to leave the target's checks off.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, uniqueName, type TestContext } from '../helpers/context.js';
import { openConnection } from '../../src/core/db/connection.js';
import { foreignKeyLinks } from '../../src/core/db/table-info.js';

describe('foreign key links of a schema', () => {
  let t: TestContext;
  let other: string;
  beforeEach(async () => {
    t = await createContext('fkl');
    other = uniqueName('fkl_other');
  });
  afterEach(async () => {
    await t.source.query(`SET foreign_key_checks = 0; DROP DATABASE IF EXISTS \`${other}\`; SET foreign_key_checks = 1`);
    await t.close();
  });

  it('names parents and children by table, in this database and in others', async () => {
    await t.source.query(`
      CREATE DATABASE \`${other}\`;
      CREATE TABLE \`${other}\`.ext_parent (id INT PRIMARY KEY);
      CREATE TABLE parent (id INT PRIMARY KEY);
      CREATE TABLE child (id INT PRIMARY KEY, pid INT,
        FOREIGN KEY (pid) REFERENCES parent(id) ON DELETE CASCADE);
      CREATE TABLE tree (id INT PRIMARY KEY, up INT, FOREIGN KEY (up) REFERENCES tree(id));
      CREATE TABLE uses_ext (id INT PRIMARY KEY, e INT, FOREIGN KEY (e) REFERENCES \`${other}\`.ext_parent(id));
      CREATE TABLE plain (id INT PRIMARY KEY);
      CREATE TABLE \`${other}\`.ext_child (id INT PRIMARY KEY, pid INT,
        FOREIGN KEY (pid) REFERENCES \`${t.sourceDb}\`.parent(id) ON UPDATE SET NULL)`);
    const db = await openConnection({ name: 'src', host: '127.0.0.1', port: t.ports.source, user: 'root',
      password: '', database: t.sourceDb });
    try {
      const links = await foreignKeyLinks(db, t.sourceDb);
      const sorted = (table: string) => [...(links.get(table) ?? [])].sort((a, b) => a.table.localeCompare(b.table));
      expect(sorted('parent')).toEqual([
        { table: 'child', role: 'child', otherDatabase: false, cascades: true },
        { table: 'ext_child', role: 'child', otherDatabase: true, cascades: true },
      ]);
      expect(sorted('child')).toEqual([{ table: 'parent', role: 'parent', otherDatabase: false, cascades: true }]);
      expect(sorted('tree')).toEqual([
        { table: 'tree', role: 'parent', otherDatabase: false, cascades: false },
        { table: 'tree', role: 'child', otherDatabase: false, cascades: false },
      ]);
      expect(sorted('uses_ext')).toEqual([{ table: 'ext_parent', role: 'parent', otherDatabase: true, cascades: false }]);
      expect(links.has('plain')).toBe(false);
      // the other database's own tables are not this schema's
      expect(links.has('ext_child')).toBe(false);
      expect(links.has('ext_parent')).toBe(false);
    } finally {
      await db.close(2000);
    }
  });
});
